"""The social networks a brand posts to, one folder each behind `bot.networks.base.Account`."""
