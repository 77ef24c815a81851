"""optimize: apply techniques to the user's model, measure each, recommend (see base.py for the contract)."""
