"""The generator's knobs: how many relatives a population has and how agencies' copies differ.

``GeneratorKnobs()`` (the defaults) is what ``generate`` and ``generate_canonical`` use when no knobs
are given: the demo, the tests' fixtures and the benchmark's default data set. A benchmark grid sets
them to other points (``benchmarks/generator_grid.py``), so that the matcher is measured on data it
was not tuned beside.

Relatives are drawn at rates from vital statistics where one exists, and say so where a rate is our
own assumption. Noise rates left at ``None`` use each agency kind's own profile
(``synthetic.noise.PROFILES``: an arrest log is noisier than a school roster); a number applies that
one rate to every agency record (never to the client list, which is the reference).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


@dataclass(frozen=True)
class GeneratorKnobs:
    """Rates of relatives in the population and of each kind of noise in agency records."""

    # ---- relatives (population.py)
    #: Share of youth who are a twin. US twin birth rate (live births in twin deliveries per 1,000
    #: live births) was 31-34 in 2002-2015, the birth years of youth aged 11-24 in 2026: 33.3 in
    #: 2009, 33.9 in 2014 (CDC/NCHS, National Vital Statistics System: Martin, Hamilton & Osterman,
    #: "Three Decades of Twin Births in the United States, 1980-2009", NCHS Data Brief 80, 2012;
    #: "Births: Final Data for 2014", NVSR 64(12)). So ~3.3% of children are twins and ~1.7% of
    #: deliveries are twin deliveries. Triplets and more (~0.1%) are left out.
    twin_rate: float = 0.033
    #: Share of twin pairs that are identical (monozygotic, so the same sex); the others are
    #: fraternal, each twin's sex drawn by chance. Monozygotic twinning is ~4 per 1,000 deliveries
    #: everywhere; with the rise in fraternal twins since the 1980s that is about a quarter to a third
    #: of US twins.
    identical_twin_share: float = 1 / 3
    #: Share of same-sex twin pairs given the same middle name (otherwise each twin has her own given
    #: and middle names). An assumption: families do this, rarely.
    twin_shared_middle: float = 0.05
    #: Share of households with more than one youth aged 11-24 (besides twins). Siblings are 1.1-4
    #: years apart and share the household's surname and address.
    sibling_rate: float = 0.5
    #: Share of siblings (not twins) with another surname than the household's: half-siblings, a
    #: child given the other parent's surname. An assumption.
    sibling_other_surname: float = 0.1
    #: Share of boys / girls who carry a parent's full name (a "Jr" whose father, or a girl whose
    #: mother, of the same name lives at the same address). No vital statistic records suffixes;
    #: ~3% of US men being "Jr" is a common estimate, naming a daughter for her mother is far rarer.
    #: The parent is an adult: only adult-serving sources (arrest logs) hold parents.
    junior_rate_male: float = 0.03
    junior_rate_female: float = 0.003
    #: Share of clients for whom a namesake is planted: a girl elsewhere with the same common first
    #: and last name, born days apart (a common-name look-alike, not a relative).
    lookalike_rate: float = 0.04

    # ---- noise in agency records (noise.py); None = each agency kind's own rate
    #: Per record: the given name is another name than the client list's (not a typo). Split by
    #: ``given_name_mix`` into a nickname / diminutive, the legal-name form (the middle name used as
    #: the given name, "Maria Guadalupe" -> "Guadalupe"), and an unrelated given name (a name the youth
    #: gave, or a clerk's mix-up).
    given_name_change: float | None = None
    given_name_mix: tuple[float, float, float] = (0.6, 0.2, 0.2)
    #: Per record: a wrong DOB (day and month swapped, or a day, month or year a little off).
    dob_noise: float | None = None
    #: Per record: no DOB at all.
    dob_missing: float | None = None
    #: Per record: the placeholder DOB 1900-01-01 (a planted data-quality signal the checks warn about).
    placeholder_dob: float | None = None
    #: Per record: the middle name left out.
    middle_missing: float | None = None
    #: Per record: another address than the client list's (the youth moved, or the agency has an
    #: older one).
    move_rate: float | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            values = value if isinstance(value, tuple) else (value,)
            for v in values:
                if v is not None and not 0.0 <= v <= 1.0:
                    raise ValueError(f"generator knob {f.name} must be between 0 and 1, got {value}")
        if abs(sum(self.given_name_mix) - 1.0) > 1e-9:
            raise ValueError(f"generator knob given_name_mix must sum to 1, got {self.given_name_mix}")

    def with_(self, **changes: object) -> GeneratorKnobs:
        """A copy with some knobs changed (validated again)."""
        return replace(self, **changes)

    def changed(self) -> dict[str, object]:
        """The knobs that differ from the defaults (for labels of benchmark rows)."""
        base = GeneratorKnobs()
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) != getattr(base, f.name)
        }


DEFAULT_KNOBS = GeneratorKnobs()
