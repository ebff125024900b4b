"""Text embeddings (``POST /embeddings``): what the embedding request needs of a model
(``needs``), its checks (``validation``), the attempt the failover runner makes
(``call``), the exact-match cache of answers (``cache``) and the service (``service``)."""
