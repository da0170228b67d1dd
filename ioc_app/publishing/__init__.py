"""Publishing approved figures on the public dashboard (R-05, R-26): proposals, the editorial
board's decision, unpublishing (service), and the store of published values the public page
reads (public_store)."""
