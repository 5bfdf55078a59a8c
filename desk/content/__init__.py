"""Trainers edit the procedure catalog (data/procedures/*.yml) from the desk."""
