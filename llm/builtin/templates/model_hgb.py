def make_{{=slot}}(kind, n_classes):
    """Histogram gradient boosting (scikit-learn), learning rate {{learning_rate}}."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    # One tree per class per iteration: keep the total tree count bounded.
    iters = max(30, min({{max_iter}}, 3000 // max(1, n_classes)))
    args = dict(max_iter=iters, learning_rate={{learning_rate}},
                max_leaf_nodes={{max_leaf_nodes}}, l2_regularization={{l2_regularization}},
                random_state=SEED)
    if kind == "reg":
        return HistGradientBoostingRegressor(**args)
    return HistGradientBoostingClassifier(**args)
