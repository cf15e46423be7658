"""Works made in the studio with AI, one framework for every kind of work (see `kinds/`)."""
