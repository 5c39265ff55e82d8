"""`carcrm import` and `carcrm catalogue` from a shell: a new site's day one, without Textual."""

from pathlib import Path

from tests import sheets
from tests.cli.test_users import carcrm

FIXTURES = Path(__file__).parents[2] / "fixtures" / "import"


def _site(tmp_path):
    db = tmp_path / "site.sqlite"
    assert carcrm(db, "user", "add", "管理员", "--role", "admin", stdin="240613\n").returncode == 0
    for name, role, pin in (("王经理", "manager", "860517"), ("李娜", "consultant", "4831")):
        r = carcrm(db, "user", "add", name, "--role", role, user="管理员", pin="240613", stdin=f"{pin}\n")
        assert r.returncode == 0, r.stderr
    return db


def test_a_new_site_brings_in_its_catalogue_and_its_sheets_and_can_take_one_back(tmp_path):
    db = _site(tmp_path)
    prices = sheets.write_csv(tmp_path / "价格表.csv", [["品牌", "车系", "车型", "指导价"],
                                                      ["吉利", "星越L", "2.0TD 旗舰型", "17.27万"]])
    r = carcrm(db, "catalogue", "import", str(prices), user="王经理", pin="860517")
    assert r.returncode == 0 and "1 added" in r.stdout, r.stdout + r.stderr
    r = carcrm(db, "catalogue", "add", "吉利", "博越L", "1.5T", "13.57万", user="王经理", pin="860517")
    assert r.returncode == 0 and "博越L" in r.stdout
    r = carcrm(db, "catalogue", "add", "吉利", "银河E5", "", "12万", user="李娜", pin="4831")
    assert r.returncode == 3 and "managers and admins" in r.stderr

    rows = [sheets.full_row(1), sheets.full_row(2, **{"*主要联系电话": "1.38E+10"}),
            sheets.full_row(3, **{"*主要联系电话": "13800138003", "销售顾问": "赵六", "跟进负责人": "",
                                  "系列/车型": "领克 08"})]
    sheet = sheets.write_xlsx(tmp_path / "客户信息管理表.xlsx", {"客户": sheets.titled(sheets.FULL_HEADER, rows)},
                              title_rows={"客户": 2})
    r = carcrm(db, "import", str(sheet), "--dry-run", user="王经理", pin="860517")
    assert r.returncode == 1 and "dry run" in r.stdout and "would create 2" in r.stdout
    assert "to be added to the vehicle catalogue" in r.stdout  # nothing added yet
    r = carcrm(db, "import", str(sheet), user="李娜", pin="4831")
    assert r.returncode == 3 and "managers and admins" in r.stderr  # consultants are refused, nothing read
    r = carcrm(db, "import", str(sheet), user="王经理", pin="860517")
    out = r.stdout
    assert r.returncode == 1 and "2 created" in out and "header on row 4" in out, out + r.stderr
    assert "安全" in out and "赵六" in out and "领克 08" in out and "lost its digits" in out
    assert "added to the vehicle catalogue as" in out and "to be added" not in out  # written now
    assert "batch 1" in out and (tmp_path / "客户信息管理表.errors.csv").exists()
    r = carcrm(db, "import", "--list", user="王经理", pin="860517")
    assert r.returncode == 0 and "complete" in r.stdout and "2 created" in r.stdout
    r = carcrm(db, "catalogue", "list", user="王经理", pin="860517")
    assert "from import" in r.stdout and "星越L" in r.stdout
    r = carcrm(db, "import", "--undo", "1", user="王经理", pin="860517")
    assert r.returncode == 0 and "2 customers removed" in r.stdout, r.stdout + r.stderr
    r = carcrm(db, "import", "--undo", "1", user="王经理", pin="860517")
    assert r.returncode == 2 and "undone already" in r.stderr


def test_an_old_xls_and_a_bad_file_from_a_shell(tmp_path):
    db = _site(tmp_path)
    r = carcrm(db, "import", str(FIXTURES / "dealer_export.xls"), "--errors", str(tmp_path / "e.csv"),
               user="王经理", pin="860517")
    assert r.returncode == 1 and "2 created" in r.stdout and "read xls" in r.stdout, r.stdout + r.stderr
    bomb = tmp_path / "page.xls"
    bomb.write_text("<html><table><tr><td>客户姓名</td></tr></table></html>", encoding="utf-8")
    r = carcrm(db, "import", str(bomb), user="王经理", pin="860517")
    assert r.returncode == 2 and "web page" in r.stderr and "Traceback" not in r.stderr
