"""The Agence Virtuelle's use cases: validations, decisions, operators, history and revert."""
