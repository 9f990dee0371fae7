#!/usr/bin/python3
"""derive_registry.py: build bench/registry.tsv from MLE-bench's data.

Reads bench/mlebench/ (MLE-bench's competition configs, the score column of its
Kaggle leaderboards and its splits, kept in the repository: see its README.md for
their origin and licence) and writes one row per competition of split75 (plus the dev split): its grader,
grove's metric, the files and columns to grade, and the medal thresholds derived
from the leaderboard exactly as MLE-bench's Grader.rank_score does (Kaggle's
progression rules by team count, median of the score column, lower-is-better
when the first row's score is below the last row's). grove embeds the table,
so the leaderboards themselves never enter the project.

    /usr/bin/python3 scripts/derive_registry.py [--shared DIR] [--out FILE] [--check]
    /usr/bin/python3 scripts/derive_registry.py --refresh-from MLEBENCH_DATA [--check]

--check recomputes and fails when the committed table differs (used by tests).
--refresh-from DIR rewrites bench/mlebench/ from a folder laid out as MLE-bench's
data (competitions/<id>/config.yaml and leaderboard.csv, splits/*.txt): the configs
and splits are copied, each leaderboard is reduced to its score column
(leaderboard_scores.csv), the only column the thresholds read. With --check it only
compares and fails when bench/mlebench/ differs from what DIR gives.
Standard library only.
"""
import argparse
import csv
import math
import os
import sys

# grove's metric, id column, target columns ("*" = every non-id column of the
# answers) and whether probability rows must sum to one, per graded competition.
# Everything else is listed as "not yet" with the reason.
GRADED = {
    "aerial-cactus-identification": ("auc", "id", "has_cactus", 0),
    # cohen_kappa_score refuses a "continuous" column: whole numbers only
    "aptos2019-blindness-detection": ("qwk_int", "id_code", "diagnosis", 0),
    "denoising-dirty-documents": ("rmse", "id", "value", 0),
    "detecting-insults-in-social-commentary": ("auc", "Comment", "Insult", 0),
    "dog-breed-identification": ("logloss", "id", "*", 1),
    "dogs-vs-cats-redux-kernels-edition": ("logloss", "id", "label", 0),
    "histopathologic-cancer-detection": ("auc", "id", "label", 0),
    # jigsaw-toxic and plant-pathology-2020 call roc_auc_score on the raw
    # columns: any finite score is accepted (auc_cols_any). jigsaw-toxic's
    # takes every column of each file by position ("#", bench.h) and drops
    # the answers' -1 rows with a mask pandas aligns on the ids ("~id")
    "jigsaw-toxic-comment-classification-challenge": (
        "auc_cols_any", "~id",
        "#toxic,severe_toxic,obscene,threat,insult,identity_hate", 0),
    # "!": exactly the id and the classes, in any order (the grader compares
    # the column sets; bench.h cols_rule)
    "leaf-classification": ("logloss", "id", "!*", 1),
    "mlsp-2013-birds": ("auc", "Id", "Probability", 0),
    # "<key": MLE-bench sorts both files by key and pairs the rows in that
    # order, never comparing the keys (bench.h, PAIR_BY_SORTED_ID)
    "new-york-city-taxi-fare-prediction": ("rmse", "<key", "fare_amount", 0),
    # "@id": MLE-bench pairs the rows by position and never reads the ids
    "nomad2018-predict-transparent-conductors": (
        "rmsle_cols", "@id", "formation_energy_ev_natom,bandgap_energy_ev", 0),
    "plant-pathology-2020-fgvc7": (
        "auc_cols_any", "image_id", "!healthy,multiple_diseases,rust,scab", 0),
    "random-acts-of-pizza": ("auc", "request_id", "requester_received_pizza", 0),
    # MLE-bench at 783b15a scores 9 of the 11 label columns (its classes.py
    # lists neither "CVC - Normal" nor "Swan Ganz Catheter Present"); a
    # submission still carries all 11, as Kaggle's sample does.
    "ranzcr-clip-catheter-line-classification": (
        "auc_cols", "StudyInstanceUID",
        "ETT - Abnormal,ETT - Borderline,ETT - Normal,NGT - Abnormal,"
        "NGT - Borderline,NGT - Incompletely Imaged,NGT - Normal,CVC - Abnormal,"
        "CVC - Borderline", 0),
    "siim-isic-melanoma-classification": ("auc", "image_name", "target", 0),
    # "^": exactly the id, first, and the three authors (the grader checks
    # submission.shape and takes every column after the first as a
    # probability; bench.h cols_rule)
    "spooky-author-identification": ("logloss", "id", "^EAP,HPL,MWS", 1),
    # accuracy_score on the pandas-typed Cover_Type column (bench/metrics_extra.c)
    "tabular-playground-series-dec-2021": ("accuracy_pd", "Id", "Cover_Type", 0),
    "tabular-playground-series-may-2022": ("auc", "id", "target", 0),
    "text-normalization-challenge-english-language": ("accuracy_str", "id", "after", 0),
    "text-normalization-challenge-russian-language": ("accuracy_str", "id", "after", 0),
    "the-icml-2013-whale-challenge-right-whale-redux": ("auc", "clip", "probability", 0),
    # beyond the lite split: graders checked against MLE-bench's grade.py
    "google-quest-challenge": ("spearman_cols", "qa_id", "*", 0),
    "herbarium-2021-fgvc8": ("f1_macro_int", "Id", "Predicted", 0),
    "herbarium-2022-fgvc9": ("f1_macro_int", "Id", "Predicted", 0),
    "nfl-player-contact-detection": ("mcc", "contact_id", "contact", 0),
    "predict-volcanic-eruptions-ingv-oe": ("mae_int", "segment_id", "time_to_eruption", 0),
    "us-patent-phrase-to-phrase-matching": ("pearson", "id", "score", 0),
    # labels read as pandas types them (bench/metrics_extra.c)
    "spaceship-titanic": ("accuracy_pd", "PassengerId", "Transported", 0),
    "cassava-leaf-disease-classification": ("accuracy_pd", "image_id", "label", 0),
    "cdiscount-image-classification-challenge": ("accuracy_pd", "_id", "category_id", 0),
    "iwildcam-2020-fgvc7": ("accuracy_pd", "Id", "Category", 0),
    "ml2021spring-hw2": ("accuracy_pd", "Id", "ClassId", 0),
    "movie-review-sentiment-analysis-kernels-only": (
        "accuracy_pd", "PhraseId", "Sentiment", 0),
    "tensorflow-speech-recognition-challenge": ("accuracy_pd", "fname", "label", 0),
    "paddy-disease-classification": ("accuracy_str", "image_id", "label", 0),
    "invasive-species-monitoring": ("auc", "name", "invasive", 0),
    "seti-breakthrough-listen": ("auc", "id", "target", 0),
    "rsna-miccai-brain-tumor-radiogenomic-classification": (
        "auc", "BraTS21ID", "MGMT_value", 0),
    "statoil-iceberg-classifier-challenge": ("logloss", "id", "is_iceberg", 0),
    "lmsys-chatbot-arena": (
        "logloss_r6", "id", "winner_model_a,winner_model_b,winner_tie", 1),
    "petfinder-pawpularity-score": ("rmse_1_100", "Id", "Pawpularity", 0),
    "learning-agency-lab-automated-essay-scoring-2": ("qwk_int", "essay_id", "score", 0),
    "herbarium-2020-fgvc7": ("f1_macro_int", "Id", "Predicted", 0),
    "iwildcam-2019-fgvc6": ("f1_macro_int", "Id", "Category", 0),
    "inaturalist-2019-fgvc6": ("top1_error", "id", "predicted", 0),
    # text metrics (bench/metrics_text.c)
    "whale-categorization-playground": ("map_at_5_strict", "Image", "Id", 0),
    "hotel-id-2021-fgvc8": ("map_at_5", "image", "hotel_id", 0),
    "h-and-m-personalized-fashion-recommendations": (
        "map_at_12", "customer_id", "prediction", 0),
    "tweet-sentiment-extraction": ("jaccard_tweet", "textID", "selected_text", 0),
    "chaii-hindi-and-tamil-question-answering": (
        "jaccard_words", "id", "PredictionString", 0),
    "billion-word-imputation": ("levenshtein", "id", "sentence", 0),
    "bms-molecular-translation": ("levenshtein_str", "image_id", "InChI", 0),
    "multi-modal-gesture-recognition": ("levenshtein_seq", "Id", "Sequence", 0),
    "AI4Code": ("kendall_tau_order", "id", "cell_order", 0),
    "facebook-recruiting-iii-keyword-extraction": ("f1_micro_sets", "Id", "Tags", 0),
    "imet-2020-fgvc7": ("f1_micro_sets", "id", "attribute_ids", 0),
    "plant-pathology-2021-fgvc8": ("f1_micro_sets", "image", "labels", 0),
    "plant-seedlings-classification": ("f1_micro_labels", "file", "species", 0),
    # competition-specific numeric metrics (bench/metrics_numeric.c); "=col" is
    # an answers-only group column, "+col" a submission-only column (bench.h)
    "champs-scalar-coupling": (
        "log_mae_groups", "id", "scalar_coupling_constant,=type", 0),
    "playground-series-s3e18": ("auc_multilabel", "id", "EC1,EC2", 0),
    "alaska2-image-steganalysis": ("weighted_auc", "Id", "Label", 0),
    "hms-harmful-brain-activity-classification": (
        "kl_votes", "eeg_id", "seizure_vote,lpd_vote,gpd_vote,lrda_vote,grda_vote,"
        "other_vote", 2),
    "freesound-audio-tagging-2019": ("lwlrap", "fname", "*", 0),
    "icecube-neutrinos-in-deep-ice": ("angular_error", "event_id", "azimuth,zenith", 0),
    # rows pair by position within a trip: the repeated trip id does that
    "smartphone-decimeter-2022": (
        "haversine_trips", "tripId",
        "LatitudeDegrees,LongitudeDegrees,+UnixTimeMillis,=tripId", 0),
    # "?FVC": the answers' filler weeks have no FVC; Confidence is the
    # submission's (the answers' own Confidence column is ignored)
    "osic-pulmonary-fibrosis-progression": (
        "laplace_ll", "Patient_Week", "?FVC,+Confidence,=Patient_Week", 0),
    "rsna-breast-cancer-detection": ("pf1", "prediction_id", "cancer", 0),
    "rsna-2022-cervical-spine-fracture-detection": (
        "cervical_wll", "row_id", "fractured,=row_id", 0),
    # the expiratory phase (the answers' u_out 1) is not scored
    "ventilator-pressure-prediction": ("mae_where0", "id", "pressure,=u_out", 0),
    # deg_pH10 and deg_50C are required but not scored; keep marks scored rows
    "stanford-covid-vaccine": (
        "rmse_kept", "id_seqpos",
        "reactivity,deg_Mg_pH10,deg_Mg_50C,+deg_pH10,+deg_50C,=keep", 0),
    # the answers' toxicity and identities against the submission's prediction
    "jigsaw-unintended-bias-in-toxicity-classification": (
        "jigsaw_bias", "id",
        "-toxicity,-male,-female,-homosexual_gay_or_lesbian,-christian,-jewish,-muslim,"
        "-black,-white,-psychiatric_or_mental_illness,+prediction", 0),
    # run-length encoded masks (bench/metrics_mask.c: the metric knows the
    # answers' mask and image size columns)
    "hubmap-kidney-segmentation": ("rle_dice", "id", "predicted", 0),
    "google-research-identify-contrails-reduce-global-warming": (
        "rle_dice_global", "record_id", "encoded_pixels", 0),
    "tgs-salt-identification-challenge": ("rle_iou_prec_101", "id", "rle_mask", 0),
    "vesuvius-challenge-ink-detection": ("rle_f05", "Id", "Predicted", 0),
    "uw-madison-gi-tract-image-segmentation": ("rle_dice_hausdorff", "id", "predicted", 0),
    # points inside answer boxes (bench/metrics_points.c)
    "kuzushiji-recognition": ("points_f1", "image_id", "labels", 0),
    # PredictionString detection metrics and JSON-lines answers
    # (bench/metrics_detect.c, bench/answers_rows.c)
    "siim-covid19-detection": ("map_siim", "id", "PredictionString", 0),
    "vinbigdata-chest-xray-abnormalities-detection": (
        "coco_map40", "image_id", "PredictionString", 0),
    "tensorflow2-question-answering": ("f1_tf2qa", "example_id", "PredictionString", 0),
    # yawed 3-D boxes, mAP over IoU 0.5..0.95 per sample (bench/metrics_lyft.c,
    # bench/box3d.c)
    "3d-object-detection-for-autonomous-vehicles": (
        "map_lyft3d", "Id", "PredictionString", 0),
}

# Why a competition is still "not yet", where more can be said than that its
# grader is missing.
NOT_YET_WHY = {}

# Graded competitions whose leaderboard MLE-bench's data lacks: grove reports
# the score, the thresholds are unknown (NaN: no medal, never above the median)
# and the direction is the metric's, said here.
NO_LEADERBOARD_LOWER = {"ventilator-pressure-prediction": True}

COLUMNS = ["id", "name", "grader", "metric", "graded", "reason", "answers",
           "sample_submission", "id_col", "target_cols", "prob_rows_sum_to_one",
           "gold", "silver", "bronze", "median", "n_teams", "lower_is_better", "split"]


def read_config(path):
    """The few keys of an MLE-bench config.yaml grove needs (flat YAML)."""
    out, section = {}, ""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, _, val = line.strip().partition(":")
            if not line.startswith(" "):
                section = key
            out[(section + "." + key) if line.startswith(" ") else key] = val.strip()
    return out


def to_float(text):
    try:
        return float(text)
    except ValueError:
        return math.nan


def median(values):
    vals = sorted(v for v in values if not math.isnan(v))
    if not vals:
        return math.nan
    mid = len(vals) // 2
    return vals[mid] if len(vals) % 2 else (vals[mid - 1] + vals[mid]) / 2


def thresholds(scores):
    """gold, silver, bronze, median, lower_is_better as MLE-bench computes them."""
    n = len(scores)

    def at(pos):
        if pos < 1 or pos > n:
            raise IndexError("position %d out of a %d-row leaderboard" % (pos, n))
        return scores[pos - 1]

    if 1 <= n < 100:
        g, s, b = at(max(1, int(n * 0.1))), at(max(1, int(n * 0.2))), at(max(1, int(n * 0.4)))
    elif n < 250:
        g, s, b = at(10), at(max(1, int(n * 0.2))), at(max(1, int(n * 0.4)))
    elif n < 1000:
        g, s, b = at(10 + int(n * 0.002)), at(50), at(100)
    else:
        g, s, b = at(10 + int(n * 0.002)), at(max(1, int(n * 0.05))), at(max(1, int(n * 0.1)))
    lower = scores[0] < scores[-1]
    return g, s, b, median(scores), lower


def leaderboard_path(comp):
    """The leaderboard of a competition folder: MLE-bench's own file, or the
    score column the repository keeps; None when it has none."""
    for name in ("leaderboard.csv", "leaderboard_scores.csv"):
        if os.path.exists(os.path.join(comp, name)):
            return os.path.join(comp, name)
    return None


def read_scores_text(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [row["score"] for row in csv.DictReader(f)]


def read_leaderboard(path):
    return [to_float(t) for t in read_scores_text(path)]


def refreshed(src):
    """{relative path: text} of bench/mlebench/ as src gives it."""
    out = {}
    for name in sorted(os.listdir(os.path.join(src, "splits"))):
        with open(os.path.join(src, "splits", name), encoding="utf-8") as f:
            out["splits/" + name] = f.read()
    comps = os.path.join(src, "competitions")
    for cid in sorted(os.listdir(comps)):
        with open(os.path.join(comps, cid, "config.yaml"), encoding="utf-8") as f:
            out["competitions/%s/config.yaml" % cid] = f.read()
        lb = leaderboard_path(os.path.join(comps, cid))
        if lb:
            out["competitions/%s/leaderboard_scores.csv" % cid] = (
                "score\n" + "".join(t + "\n" for t in read_scores_text(lb)))
    return out


def refresh(src, dst, check):
    want = refreshed(src)
    have = {}
    for root, _, files in os.walk(dst):
        for name in files:
            if name == "README.md":
                continue
            full = os.path.join(root, name)
            with open(full, encoding="utf-8") as f:
                have[os.path.relpath(full, dst)] = f.read()
    if check:
        bad = sorted(k for k in set(want) | set(have) if want.get(k) != have.get(k))
        if bad:
            print("derive_registry: %s differs from %s in %d files, first %s"
                  % (dst, src, len(bad), bad[0]), file=sys.stderr)
            return 1
        print("derive_registry: %s matches %s" % (dst, src))
        return 0
    for rel in set(have) - set(want):
        os.remove(os.path.join(dst, rel))
    for rel, text in want.items():
        os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
        with open(os.path.join(dst, rel), "w", encoding="utf-8") as f:
            f.write(text)
    print("derive_registry: wrote %d files to %s" % (len(want), dst))
    return 0


def fmt(x):
    return "nan" if math.isnan(x) else repr(float(x))


def split_of(shared):
    out = {}
    for name, label in (("low.txt", "lite"), ("medium.txt", "medium"),
                        ("high.txt", "hard"), ("dev.txt", "dev")):
        with open(os.path.join(shared, "splits", name), encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    out.setdefault(line.strip(), label)
    return out


def derive(shared):
    splits = split_of(shared)
    rows = []
    for cid in sorted(splits, key=str.lower):
        comp = os.path.join(shared, "competitions", cid)
        cfg = read_config(os.path.join(comp, "config.yaml"))
        grader = cfg.get("grader.name", "")
        lb = leaderboard_path(comp)
        if lb:
            scores = read_leaderboard(lb)
            g, s, b, med, lower = thresholds(scores)
            n = len(scores)
        else:
            g = s = b = med = math.nan
            lower, n = False, 0
        answers = os.path.basename(cfg.get("dataset.answers", ""))
        sample = os.path.basename(cfg.get("dataset.sample_submission", ""))
        if cid in GRADED:
            metric, id_col, targets, prob = GRADED[cid]
            graded, reason = 1, ""
        else:
            metric, id_col, targets, prob = grader, "", "", 0
            graded = 0
            reason = NOT_YET_WHY.get(cid, "grove does not implement MLE-bench's '%s' "
                                     "grader for this competition yet" % grader)
        if n == 0 and graded:
            lower = NO_LEADERBOARD_LOWER[cid]
            reason = "no leaderboard: the score only, no medal thresholds"
        elif n == 0:
            reason = (reason + "; " if reason else "") + "no leaderboard: no medal thresholds"
        rows.append([cid, cfg.get("name", cid), grader, metric, str(graded), reason,
                     answers, sample, id_col, targets, str(prob), fmt(g), fmt(s), fmt(b),
                     fmt(med), str(n), str(int(lower)), splits[cid]])
    return rows


def render(rows):
    for row in rows:
        for cell in row:
            if "\t" in cell or "\n" in cell:
                raise ValueError("tab or newline in a registry cell: %r" % cell)
    lines = ["\t".join(COLUMNS)] + ["\t".join(r) for r in rows]
    return "\n".join(lines) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    facts = os.path.join(here, "..", "bench", "mlebench")
    ap.add_argument("--shared", default=facts,
                    help="MLE-bench's data to derive from (default: bench/mlebench)")
    ap.add_argument("--out", default=os.path.join(here, "..", "bench", "registry.tsv"))
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--refresh-from", metavar="DIR")
    args = ap.parse_args()
    if args.refresh_from:
        return refresh(args.refresh_from, facts, args.check)
    text = render(derive(args.shared))
    if args.check:
        with open(args.out, encoding="utf-8") as f:
            if f.read() != text:
                print("derive_registry: %s is stale; rerun scripts/derive_registry.py"
                      % args.out, file=sys.stderr)
                return 1
        print("derive_registry: %s matches %s" % (args.out, args.shared))
        return 0
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print("derive_registry: wrote %d competitions to %s" % (text.count("\n") - 1, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
