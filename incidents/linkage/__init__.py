"""Reconciliation as record linkage of attack reports: records, candidate pairs (blocking),
comparison levels, fitted Fellegi-Sunter weights, clustering and the scope of a night."""
