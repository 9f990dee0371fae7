def make_{{=slot}}(kind, n_classes):
    """Histogram gradient boosting (scikit-learn), learning rate {{learning_rate}}."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    # One tree per class per iteration: bound the total tree count so many-class
    # tasks still finish in time, with somewhat larger steps (larger ones make
    # multi-class boosting diverge).
    iters = max(30, min({{max_iter}}, 600 // max(1, n_classes)))
    rate = min(max({{learning_rate}}, 0.15), {{learning_rate}} * {{max_iter}} / iters)
    args = dict(max_iter=iters, learning_rate=rate,
                max_leaf_nodes={{max_leaf_nodes}}, l2_regularization={{l2_regularization}},
                random_state=SEED)
    if kind == "reg":
        return HistGradientBoostingRegressor(**args)
    return HistGradientBoostingClassifier(**args)
