def make_{{=slot}}(kind, n_classes):
    """XGBoost with the hist tree method, depth {{max_depth}}, learning rate {{learning_rate}}."""
    import xgboost as xgb

    # One tree per class per round: bound the total tree count so many-class
    # tasks still finish in time, with somewhat larger steps (larger ones make
    # multi-class boosting diverge).
    rounds = max(30, min({{n_estimators}}, 600 // max(1, n_classes)))
    rate = min(max({{learning_rate}}, 0.15), {{learning_rate}} * {{n_estimators}} / rounds)
    args = dict(n_estimators=rounds, learning_rate=rate, max_depth={{max_depth}},
                subsample={{subsample}}, colsample_bytree={{colsample_bytree}},
                tree_method="hist", n_jobs=1, random_state=SEED)
    if kind == "reg":
        return xgb.XGBRegressor(**args)
    return xgb.XGBClassifier(**args)
