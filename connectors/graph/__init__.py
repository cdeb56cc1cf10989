"""Entra ID and Intune through Microsoft Graph (see docs/graph.md)."""
