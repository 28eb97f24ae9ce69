"""The session: the only room that reads pytest's config, stash and `Settings`.

It turns options into each phase's frozen parameters, runs the preconditions once per session (also
under xdist), gives each scenario item its outcome, records reports, and wires the emulated cluster
for `--cluster emulated`. The phases it calls (build/, cluster/, gauge/, triage/, history/, report/)
never call back into it.
"""
