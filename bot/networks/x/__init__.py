"""X through tweepy: the account, its errors, and its sandbox stand-in."""
