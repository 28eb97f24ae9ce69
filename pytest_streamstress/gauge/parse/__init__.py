"""The Gauge spec and concept parser: lines in, frozen spec values out (STYLE R13, R14).

Two stages as in gauge itself: `lexer` turns lines into tokens with line numbers, `convert` builds
the model (`model`), `spec` is the public face, `tags` the tag-expression grammar. Pure: no files
are read except through the callers' text, nothing is run.
"""
