"""The process: settings, config, services, the app, the runner, the CLI."""
