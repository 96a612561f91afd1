"""What people ask about: status, a draft's story, what stopped it, what is coming up."""
