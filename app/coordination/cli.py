"""``reperes users``: accounts of the coordinators' space (wired into ``indexer/cli.py``)."""
from __future__ import annotations

import sys

import click

from app.core.db import create_schema, engine_for
from app.coordination import users as accounts
from config import load_settings

ROLE_CHOICES = ("coordinator", "admin", "aucun")


def _url() -> str:
    settings = load_settings()
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    create_schema(engine_for(settings.database_url))
    return settings.database_url


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)


def _role(value: str) -> str | None:
    return None if value == "aucun" else value


@click.group(name="users")
def users() -> None:
    """Comptes de l'espace coordination (/coordination)."""


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLE_CHOICES), default="coordinator", show_default=True,
              help="coordinator, admin (peut aussi déposer des fichiers de producteurs), ou aucun.")
@click.option("--password-stdin", is_flag=True, help="Lire le mot de passe sur l'entrée standard (une ligne).")
def create(email: str, role: str, password_stdin: bool) -> None:
    """Créer un compte."""
    try:
        user = accounts.create_user(_url(), email, _read_password(password_stdin), _role(role))
    except accounts.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"compte créé : {user.email} ({user.role or 'sans rôle'})")


@users.command("list")
def list_() -> None:
    """Lister les comptes."""
    for user in accounts.list_users(_url()):
        last = f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "jamais"
        state = "actif" if user.active else "désactivé"
        click.echo(f"{user.email:<40} {user.role or 'sans rôle':<12} {state:<10} dernière connexion {last}")


@users.command("disable")
@click.argument("email")
def disable(email: str) -> None:
    """Désactiver un compte (ses sessions ouvertes prennent fin)."""
    try:
        accounts.set_active(_url(), email, False)
    except accounts.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"compte désactivé : {accounts.normalise_email(email)}")


@users.command("enable")
@click.argument("email")
def enable(email: str) -> None:
    """Réactiver un compte."""
    try:
        accounts.set_active(_url(), email, True)
    except accounts.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"compte réactivé : {accounts.normalise_email(email)}")


@users.command("role")
@click.argument("email")
@click.argument("role", type=click.Choice(ROLE_CHOICES))
def role(email: str, role: str) -> None:
    """Changer le rôle d'un compte."""
    try:
        accounts.set_role(_url(), email, _role(role))
    except accounts.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{accounts.normalise_email(email)} : {role}")


@users.command("password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Lire le mot de passe sur l'entrée standard (une ligne).")
def password(email: str, password_stdin: bool) -> None:
    """Changer le mot de passe d'un compte (ses sessions ouvertes prennent fin)."""
    try:
        accounts.set_password(_url(), email, _read_password(password_stdin))
    except accounts.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"mot de passe changé : {accounts.normalise_email(email)}")
