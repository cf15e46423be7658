"""Generation jobs: the database holds the queue, Celery carries the wake-ups, workers run the batches."""
