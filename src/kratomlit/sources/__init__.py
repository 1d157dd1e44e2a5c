"""Where papers come from: the NCBI E-utilities client (HTTP only)."""
