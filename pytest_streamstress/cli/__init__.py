"""The `streamstress` command: what is not a test session (emulator, restore, report, Job control...).

`main` dispatches; each command is a thin module with `HELP`, `add_arguments` and `run`, calling
the rooms that do the work. Like run/, this room may start the emulator from testing/.
"""
