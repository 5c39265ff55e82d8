"""A dealer group set up from a shell: showrooms, their people, and reports per showroom."""

from tests.cli.test_robust import run


def test_a_group_sets_up_showrooms_and_their_people(tmp_path):
    db = tmp_path / "group.sqlite"
    admin = dict(user="集团管理员", pin="271828")
    assert run(db, "init", "--name", "星辰汽车集团", "--admin", "集团管理员", "--language", "en",
               env={"CARCRM_PIN": "271828"}).returncode == 0
    r = run(db, "showroom", "rename", "星辰汽车集团", "东城店", **admin)
    assert r.returncode == 0, r.stderr
    r = run(db, "showroom", "add", "西城店", **admin)
    assert r.returncode == 0 and "--showroom 西城店" in r.stdout
    r = run(db, "user", "add", "李娜", "--role", "consultant", stdin="4831\n", **admin)
    assert r.returncode == 2 and "--showroom" in r.stderr  # several showrooms: which one
    for name, role, room, pin in (("李娜", "consultant", "东城店", "4831"), ("张伟", "consultant", "西城店", "5294"),
                                  ("西经理", "manager", "西城店", "860517")):
        r = run(db, "user", "add", name, "--role", role, "--showroom", room, stdin=f"{pin}\n", **admin)
        assert r.returncode == 0, r.stderr
    r = run(db, "user", "add", "总经理", "--role", "group_manager", stdin="975318\n", **admin)
    assert r.returncode == 0, r.stderr
    r = run(db, "user", "add", "刘洋", "--role", "consultant", stdin="6172\n", user="西经理", pin="860517")
    assert r.returncode == 0, r.stderr  # a showroom's manager adds to their own showroom
    r = run(db, "showroom", "list", user="总经理", pin="975318")
    assert r.returncode == 0 and "东城店\t1 person" in r.stdout and "西城店\t3 people" in r.stdout
    r = run(db, "user", "list", **admin)
    assert "刘洋\tConsultant\t西城店" in r.stdout and "总经理\tGroup manager\tall showrooms" in r.stdout
    r = run(db, "report", "daily", "--showroom", "西城店", user="总经理", pin="975318")
    assert r.returncode == 0, r.stderr
    r = run(db, "report", "daily", "--showroom", "东城店", user="西经理", pin="860517")
    assert r.returncode == 3  # a showroom's manager looks at their own showroom only
    r = run(db, "report", "metrics", "--markdown", user="总经理", pin="975318")
    assert r.returncode == 0 and "Showroom against showroom" in r.stdout and "西城店" in r.stdout
