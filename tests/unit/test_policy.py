import pytest

from carcrm_tui.config import ConfigError, load_policy
from carcrm_tui.domain.policy import Policy, PolicyError, policy_from_dict


def test_defaults_follow_the_handbook_cadence():
    p = Policy()
    assert {g: p.cadence_days(g) for g in "HABCO"} == {"H": 2, "A": 7, "B": 14, "C": 30, "O": 7}
    assert p.grades["H"].response_minutes == 30
    assert p.timezone == "Asia/Shanghai"
    assert p.stages[0] == "new" and p.stages[-1] == "delivery"
    assert p.next_stage("quote") == "order" and p.previous_stage("new") is None


def test_overrides_keep_the_rest():
    p = policy_from_dict({"grades": {"H": {"cadence_days": 1}}, "dealership": {"timezone": "Europe/Berlin"}})
    assert p.cadence_days("H") == 1 and p.cadence_days("A") == 7
    assert p.timezone == "Europe/Berlin"


@pytest.mark.parametrize(
    "data, key, reason",
    [
        ({"grades": {"H": {"cadence_days": 0}}}, "grades.H.cadence_days", "too_small"),
        ({"grades": {"H": {"cadence_days": "two"}}}, "grades.H.cadence_days", "not_integer"),
        ({"grades": {"H": {"cadance_days": 2}}}, "grades.H.cadance_days", "unknown_key"),
        ({"dealership": {"timezone": "Mars/Olympus"}}, "dealership.timezone", "bad_timezone"),
        ({"dealership": {"language": "fr"}}, "dealership.language", "bad_language"),
        ({"stages": {"win_rates": {"quote": 1.5}}}, "stages.win_rates.quote", "not_fraction"),
        ({"stages": {"order": ["a", "a"]}}, "stages.order", "duplicates"),
        ({"urgency_grade": {"near": "Z"}}, "urgency_grade.near", "unknown_grade"),
        ({"colour": "red"}, "colour", "unknown_key"),
        ({"process": {"purchase_tax_rate": 2}}, "process.purchase_tax_rate", "not_fraction"),
        ({"process": {"score_weights": {"luck": 5}}}, "process.score_weights.luck", "unknown_key"),
        ({"process": {"after_sales": {"day1_days": 0}}}, "process.after_sales.day1_days", "too_small"),
        ({"holidays": {"labour_day": ["May 1"]}}, "holidays.labour_day", "not_dates"),
        ({"security": {"idle_lock_minutes": 0}}, "security.idle_lock_minutes", "too_small"),
    ],
)
def test_bad_values_name_the_key_and_reason(data, key, reason):
    with pytest.raises(PolicyError) as err:
        policy_from_dict(data)
    assert err.value.key == key
    assert err.value.reason == reason


def test_config_file_errors_say_which_file_and_key(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[grades.H]\ncadence_days = -1\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert err.value.path == path and err.value.key == "grades.H.cadence_days"

    path.write_text("[grades\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert err.value.reason == "bad_toml"


def test_missing_config_means_defaults(tmp_path):
    assert load_policy(tmp_path / "none.toml") == Policy()
