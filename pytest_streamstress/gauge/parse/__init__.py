"""The Gauge spec and concept parser: lines in, frozen spec values out (STYLE R13, R14).

Two stages as in gauge itself: `lexer` turns lines into tokens with line numbers (`step_text` takes
a step's text apart), `convert` builds the model (`model`) from a spec's tokens and `concepts` from a
concept file's; `spec` is the public face, `tags` the tag-expression grammar. Files are read only by
`spec.parse_spec_file` and `concepts.load_concepts`; nothing is run.
"""
