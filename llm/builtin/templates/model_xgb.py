def make_{{=slot}}(kind, n_classes):
    """XGBoost with the hist tree method, depth {{max_depth}}, learning rate {{learning_rate}}."""
    import xgboost as xgb

    # One tree per class per round: keep the total tree count bounded.
    rounds = max(30, min({{n_estimators}}, 3000 // max(1, n_classes)))
    args = dict(n_estimators=rounds, learning_rate={{learning_rate}}, max_depth={{max_depth}},
                subsample={{subsample}}, colsample_bytree={{colsample_bytree}},
                tree_method="hist", n_jobs=1, random_state=SEED)
    if kind == "reg":
        return xgb.XGBRegressor(**args)
    return xgb.XGBClassifier(**args)
