def make_{{=slot}}(kind, n_classes):
    """Small neural network: one hidden layer of {{hidden}} units, early stopping."""
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    args = dict(hidden_layer_sizes=({{hidden}},), alpha={{alpha}}, max_iter={{max_iter}},
                early_stopping=True, random_state=SEED)
    if kind == "reg":
        return MLPRegressor(**args)
    return MLPClassifier(**args)
