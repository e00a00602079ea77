"""What resync may put in front of an operator: commands through one validating gate (`commands`)."""
