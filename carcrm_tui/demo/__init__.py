"""The demo showroom: a believable dealership generated from fixtures/demo."""
