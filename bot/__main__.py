"""`python -m bot` is `countersign`."""

from bot.runtime.cli import main

main()
