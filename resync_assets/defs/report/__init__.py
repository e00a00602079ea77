"""The weekly capacity report: its asset and its Monday-morning schedule."""
