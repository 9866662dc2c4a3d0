"""Adapters around the mediation core: stores, the `mediation` command, exports."""
