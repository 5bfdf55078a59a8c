"""Trainers' tools: the review inbox, scrubbing, training data, models."""
