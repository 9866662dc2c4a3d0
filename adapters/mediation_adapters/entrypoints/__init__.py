"""The edges: the `mediation` command line (cli/) and the HTTP API (http/)."""
