"""FeatureNet (Ghamizi, Cordy, Papadakis & Le Traon 2019): feature-model configuration search."""
