def make_{{=slot}}(kind, n_classes):
    """Linear model: logistic regression for classes, ridge for values (C = {{C}})."""
    from sklearn.linear_model import LogisticRegression, Ridge

    if kind == "reg":
        return Ridge(alpha=1.0 / {{C}}, random_state=SEED)
    return LogisticRegression(C={{C}}, max_iter={{max_iter}}, random_state=SEED)
