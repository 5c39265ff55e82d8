"""The app's own options are read without building every command's parser (a faster start);
what they mean must not change, and everything else still goes to the whole parser."""

import pytest

from carcrm_tui import cli


@pytest.mark.parametrize("argv", [
    [], ["--db", "x.sqlite", "--lang", "en"], ["--db=x.sqlite"], ["--la", "zh"], ["--debug", "--user", "王"],
    ["--theme", "carcrm-dark", "--config", "c.toml"], ["--served"],
])
def test_the_app_options_mean_what_the_whole_parser_says(argv):
    assert vars(cli.parse(argv)) == vars(cli.build_parser(argv).parse_args(argv))


@pytest.mark.parametrize("argv", [["demo", "--build-only"], ["--db", "x", "check"], ["policy", "show"]])
def test_a_command_is_read_by_the_whole_parser(argv):
    args = cli.parse(argv)
    assert args.command == argv[-1] if argv[0] == "--db" else args.command == argv[0]
    assert vars(args) == vars(cli.build_parser(argv).parse_args(argv))


@pytest.mark.parametrize("argv", [["--lang", "fr"], ["--nope"], ["--db"]])
def test_a_mistake_is_said_by_the_whole_parser(argv, capsys):
    with pytest.raises(SystemExit) as e:
        cli.parse(argv)
    assert e.value.code == 2
    assert "COMMAND" in capsys.readouterr().err  # the whole parser's usage, commands listed


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        cli.parse(["--help"])
    out = capsys.readouterr().out
    assert "demo" in out and "import" in out
