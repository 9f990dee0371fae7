def make_{{=slot}}(kind, n_classes):
    """Random forest ({{n_estimators}} trees, min leaf {{min_samples_leaf}})."""
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    depth = {{max_depth}} or None
    if kind == "reg":
        return RandomForestRegressor(n_estimators={{n_estimators}}, max_depth=depth,
                                     min_samples_leaf={{min_samples_leaf}},
                                     max_features={{max_features}}, n_jobs=1, random_state=SEED)
    return RandomForestClassifier(n_estimators={{n_estimators}}, max_depth=depth,
                                  min_samples_leaf={{min_samples_leaf}},
                                  max_features={{max_features}}, n_jobs=1, random_state=SEED)
