"""The embedded TWS REST API v2 simulator and its workload generator."""
