"""Linkage tasks from pseudopeople, in our canonical person schema, for benchmarks/match_vs_splink.py.

    .venv/bin/pip install -e '.[bench]'                 # pseudopeople (ships its sample population)
    .venv/bin/python benchmarks/pseudopeople_tasks.py   # writes var/bench/pseudopeople/<task>/

pseudopeople (IHME) simulates a US population and the data sets agencies would observe of it
(censuses, surveys, WIC, tax forms), each with its own configurable noise; every row carries the
simulant's ``simulant_id``, which is the truth here and is never written to a person column. Nobody on
this team built or tuned it. Each task has the shape of a SafetyNet run: a client list of young
people, taken from one observed data set (the 2020 decennial census, respondents who reported an age
under 25, one row per person), linked against the rows of another observed data set, which holds
several rows per person where that data set has them (one per enrolment year, one per tax form) and
the rows of people who are not clients, as an agency's extract does.

Each task folder holds clients.csv (client_id + person fields), records.csv (record_id + person
fields, plus ``source``, which the matchers ignore) and truth.csv (record_id, client_id). The files
are regenerated deterministically from the package's sample data and the fixed seeds below; they are
person-shaped data and stay under var/ (gitignored), never in git. Nothing here knows our matcher:
pseudopeople's own default noise, and for the ``_noisy`` task every noise probability of pseudopeople's
defaults multiplied by one factor (NOISY_FACTOR), the same for every field and data set.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from integrations.kinds import PERSON_FIELDS  # noqa: E402

os.environ.setdefault("TQDM_DISABLE", "1")  # pseudopeople's progress bars: one per noise type

CLIENT_MAX_AGE = 24  # "young people": the 2020 census age the respondent reported, under 25
CLIENT_SEED = 2020  # pseudopeople's noise seed for the client list (census 2020)
RECORDS_SEED = 7  # and for the records side
NOISY_FACTOR = 4.0  # the noisier config: every row and cell noise probability x4 (token-level ones unchanged)

#: pseudopeople's race/ethnicity categories in our RACE_CODES
RACE = {
    "White": "White",
    "Black": "Black",
    "Latino": "Hispanic",
    "Asian": "Asian",
    "AIAN": "Native American",
    "NHOPI": "Pacific Islander",
    "Multiracial or Other": "Other",
}
SEX = {"Female": "F", "Male": "M"}


def _text(col: pd.Series) -> pd.Series:
    """A column as plain strings, missing = ''."""
    return col.astype("string").fillna("").str.strip()


def _dob(col: pd.Series, layout: str) -> pd.Series:
    """pseudopeople's date layout rewritten as YYYY-MM-DD by position, noise kept as it is.

    A value with a typo or an impossible month stays as written (moved into ISO order when its shape
    allows), as it would in an agency's extract; a value of another shape is passed through.
    """
    s = _text(col)
    if layout == "MM/DD/YYYY":
        parts = s.str.split("/", expand=True, n=2).reindex(columns=[0, 1, 2])
        ok = parts[2].notna()
        return s.where(~ok, parts[2].fillna("") + "-" + parts[0].fillna("") + "-" + parts[1].fillna(""))
    if layout == "MMDDYYYY":
        ok = s.str.len() == 8
        return s.where(~ok, s.str[4:8] + "-" + s.str[0:2] + "-" + s.str[2:4])
    if layout == "YYYYMMDD":
        ok = s.str.len() == 8
        return s.where(~ok, s.str[0:4] + "-" + s.str[4:6] + "-" + s.str[6:8])
    raise ValueError(f"unknown date layout {layout}")


def _join(*cols: pd.Series) -> pd.Series:
    """Non-blank parts joined by one space (street number, street name, unit)."""
    frame = pd.concat([_text(c) for c in cols], axis=1)
    return frame.apply(lambda row: " ".join(v for v in row if v), axis=1)


def _persons(df: pd.DataFrame, **fields: pd.Series | str) -> pd.DataFrame:
    """simulant_id and the canonical name fields, with the other person fields as given."""
    return pd.DataFrame(
        {
            "simulant_id": _text(df["simulant_id"]),
            "first_name": _text(df["first_name"]),
            # surveys and forms write a middle initial; Social Security the whole middle name
            "middle_name": _text(df["middle_initial" if "middle_initial" in df else "middle_name"]),
            "last_name": _text(df["last_name"]),
            "aliases": "",
            **fields,
        }
    )


def persons_from_household_survey(df: pd.DataFrame, dob_layout: str) -> pd.DataFrame:
    """Census / ACS / CPS / WIC rows (same columns) as canonical person fields + simulant_id."""
    return _persons(
        df,
        dob=_dob(df["date_of_birth"], dob_layout),
        sex=_text(df["sex"]).map(SEX).fillna(""),
        race=_text(df["race_ethnicity"]).map(RACE).fillna(""),
        address=_join(df["street_number"], df["street_name"], df["unit_number"]),
        city=_text(df["city"]),
        zip=_text(df["zipcode"]),
    )


def persons_from_w2_1099(df: pd.DataFrame) -> pd.DataFrame:
    """W2 / 1099 forms: the employee's name and mailing address; the forms carry no DOB and no sex."""
    po_box = _text(df["mailing_address_po_box"])
    street = _join(
        df["mailing_address_street_number"],
        df["mailing_address_street_name"],
        df["mailing_address_unit_number"],
    )
    return _persons(
        df,
        dob="",
        sex="",
        race="",
        address=street.where(po_box.eq(""), "po box " + po_box),
        city=_text(df["mailing_address_city"]),
        zip=_text(df["mailing_address_zipcode"]),
    )


def persons_from_social_security(df: pd.DataFrame) -> pd.DataFrame:
    """Social Security events (a number issued, a death): whole middle name, DOB and sex, no address."""
    return _persons(
        df,
        dob=_dob(df["date_of_birth"], "YYYYMMDD"),
        sex=_text(df["sex"]).map(SEX).fillna(""),
        race="",
        address="",
        city="",
        zip="",
    )


# ---------------------------------------------------------------- the observed data sets


def noisy_config(factor: float) -> dict:
    """pseudopeople's default configuration with every row and cell probability times ``factor``."""
    import pseudopeople as psp

    config = copy.deepcopy(psp.get_config())

    def scale(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "cell_probability" or str(key).startswith("row_probability"):
                    if isinstance(value, int | float):
                        node[key] = min(0.95, value * factor)
                else:
                    scale(value)

    for dataset in config.values():
        scale(dataset)
    return config


def census_2020_youth(config: dict | None) -> pd.DataFrame:
    """The client list: 2020 census respondents who reported an age under 25, one row per person."""
    import pseudopeople as psp

    census = psp.generate_decennial_census(seed=CLIENT_SEED, config=config, year=2020)
    age = pd.to_numeric(_text(census["age"]), errors="coerce")
    youth = census[age.notna() & (age <= CLIENT_MAX_AGE)]
    persons = persons_from_household_survey(youth, "MM/DD/YYYY")
    # The census's own row noise lists some children twice (a guardian's household too): a client
    # list holds each client once, so the first row stands.
    persons = persons.drop_duplicates("simulant_id").reset_index(drop=True)
    persons.insert(0, "client_id", [f"c{i:05d}" for i in range(len(persons))])
    return persons


def wic_all_years(config: dict | None) -> pd.DataFrame:
    """WIC enrolment, every year 2019-2041 (mothers and young children, one row per enrolled year)."""
    import pseudopeople as psp

    wic = psp.generate_women_infants_and_children(seed=RECORDS_SEED, config=config, year=None)
    out = persons_from_household_survey(wic, "MMDDYYYY")
    out["source"] = "wic_" + _text(wic["year"]).to_numpy()
    return out


def w2_1099_2020_2025(config: dict | None) -> pd.DataFrame:
    """W2 and 1099 forms of tax years 2020-2025 (one row per form: per job, per year)."""
    import pseudopeople as psp

    parts = [
        psp.generate_taxes_w2_and_1099(seed=RECORDS_SEED + year, config=config, year=year)
        for year in range(2020, 2026)
    ]
    forms = pd.concat(parts, ignore_index=True)
    out = persons_from_w2_1099(forms)
    out["source"] = (_text(forms["tax_form"]) + "_" + _text(forms["tax_year"])).to_numpy()
    return out


def later_surveys(config: dict | None) -> pd.DataFrame:
    """The 2030 and 2040 censuses, every ACS and CPS survey 2019-2041: the same town, years later."""
    import pseudopeople as psp

    frames = []
    for year in (2030, 2040):
        census = psp.generate_decennial_census(seed=RECORDS_SEED, config=config, year=year)
        part = persons_from_household_survey(census, "MM/DD/YYYY")
        part["source"] = f"census_{year}"
        frames.append(part)
    for name, generate in (
        ("acs", psp.generate_american_community_survey),
        ("cps", psp.generate_current_population_survey),
    ):
        survey = generate(seed=RECORDS_SEED, config=config, year=None)
        part = persons_from_household_survey(survey, "MM/DD/YYYY")
        part["source"] = name + "_" + _text(survey["survey_date"]).str[:4].to_numpy()
        frames.append(part)
    return pd.concat(frames, ignore_index=True)


def social_security_2025(config: dict | None) -> pd.DataFrame:
    """Social Security's events up to 2025: a row per number issued and per death, the whole town."""
    import pseudopeople as psp

    ssa = psp.generate_social_security(seed=RECORDS_SEED, config=config, year=2025)
    out = persons_from_social_security(ssa)
    out["source"] = "ssa_" + _text(ssa["event_type"]).to_numpy()
    return out


@dataclass(frozen=True)
class Task:
    name: str
    records: Callable[[dict | None], pd.DataFrame]
    noisy: bool
    about: str


TASKS = (
    Task(
        "census_youth_x_wic",
        wic_all_years,
        False,
        "WIC enrolment rows of every year: a child or young mother enrolled for several years, twins",
    ),
    Task(
        "census_youth_x_w2_1099",
        w2_1099_2020_2025,
        False,
        "W2/1099 forms 2020-2025: one row per job per year, no DOB and no sex on the records side",
    ),
    Task(
        "census_youth_x_later_surveys",
        later_surveys,
        False,
        "census 2030 + 2040, ACS and CPS: the same people 10-20 years on (moves, new surnames)",
    ),
    Task(
        "census_youth_x_wic_noisy",
        wic_all_years,
        True,
        f"as census_youth_x_wic, every pseudopeople noise probability x{NOISY_FACTOR:g} on both sides",
    ),
    Task(
        "census_youth_x_ssa",
        social_security_2025,
        False,
        "Social Security events to 2025: no address at all, whole middle names against initials",
    ),
)


def write_task(task: Task, out: Path) -> dict:
    """Write one task's three CSVs; returns its description (sizes, links, missing rates)."""
    config = noisy_config(NOISY_FACTOR) if task.noisy else None
    clients = census_2020_youth(config)
    records = task.records(config).reset_index(drop=True)
    records.insert(0, "record_id", [f"r{i:06d}" for i in range(len(records))])
    client_of = dict(zip(clients["simulant_id"], clients["client_id"], strict=True))
    truth = pd.DataFrame(
        {"record_id": records["record_id"], "client_id": records["simulant_id"].map(client_of)}
    )
    truth = truth.dropna()
    out.mkdir(parents=True, exist_ok=True)
    clients[["client_id", *PERSON_FIELDS]].to_csv(out / "clients.csv", index=False)
    records[["record_id", *PERSON_FIELDS, "source"]].to_csv(out / "records.csv", index=False)
    truth.to_csv(out / "truth.csv", index=False)
    linked = records["simulant_id"].isin(client_of)
    linked_clients = int(records.loc[linked, "simulant_id"].nunique())
    about = {
        "task": task.name,
        "records_side": task.about,
        "clients": len(clients),
        "records": len(records),
        "people_in_records": int(records["simulant_id"].nunique()),
        "true_links": len(truth),
        "clients_with_a_record": linked_clients,
        "records_per_linked_client": round(len(truth) / max(linked_clients, 1), 2),
        "missing_clients": {c: round(float(clients[c].eq("").mean()), 4) for c in PERSON_FIELDS},
        "missing_records": {c: round(float(records[c].eq("").mean()), 4) for c in PERSON_FIELDS},
        "noise": f"pseudopeople defaults x{NOISY_FACTOR:g}" if task.noisy else "pseudopeople defaults",
    }
    (out / "about.json").write_text(json.dumps(about, indent=2))
    return about


def markdown(abouts: list[dict]) -> str:
    """The tasks as a Markdown table (for benchmarks/README.md)."""
    fields = ["first_name", "middle_name", "last_name", "dob", "sex", "address"]
    lines = [
        "| task | clients | records (people) | true links (clients linked, rows each) | noise "
        "| missing, clients / records: " + ", ".join(fields) + " |",
        "| --- | ---: | ---: | ---: | --- | --- |",
    ]
    for a in abouts:
        missing = ", ".join(
            f"{100 * a['missing_clients'][f]:.1f}/{100 * a['missing_records'][f]:.1f}%" for f in fields
        )
        lines.append(
            f"| {a['task']} | {a['clients']:,} | {a['records']:,} ({a['people_in_records']:,}) "
            f"| {a['true_links']:,} ({a['clients_with_a_record']:,}, {a['records_per_linked_client']}) "
            f"| {a['noise']} | {missing} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "pseudopeople")
    ap.add_argument("--task", action="append", choices=[t.name for t in TASKS], help="default: all")
    args = ap.parse_args()
    import pseudopeople as psp

    print(f"pseudopeople {psp.__version__}, sample population -> {args.out}")
    abouts = []
    for task in TASKS:
        if args.task and task.name not in args.task:
            continue
        abouts.append(write_task(task, args.out / task.name))
        print(f"{task.name}: {abouts[-1]['clients']:,} clients, {abouts[-1]['records']:,} records")
    print(markdown(abouts))


if __name__ == "__main__":
    main()
