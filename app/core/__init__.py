"""The domain, free of Flask: models, vocabularies, geography, text analysis."""
