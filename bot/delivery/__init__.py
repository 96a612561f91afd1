"""Getting an approved version out: claims, leases, publishing, reconciling, pausing, deleting."""
