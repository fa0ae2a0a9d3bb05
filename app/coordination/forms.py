"""Forms of the coordinators' space (Flask-WTF: each carries its ``csrf_token``)."""
from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("Adresse électronique", validators=[DataRequired("Indiquez votre adresse électronique."),
                                                          Length(max=320)],
                       render_kw={"autocomplete": "username", "spellcheck": "false"})
    password = PasswordField("Mot de passe", validators=[DataRequired("Indiquez votre mot de passe."),
                                                         Length(max=1000)],
                             render_kw={"autocomplete": "current-password"})


class ActionForm(FlaskForm):
    """A button that changes something (logout, ingestion): only the CSRF token."""


class UploadForm(FlaskForm):
    fichier = FileField("Fichier du producteur (CSV ou XLSX)", validators=[
        FileRequired("Choisissez un fichier."),
        FileAllowed(["csv", "xlsx", "txt"], "Formats acceptés : CSV ou XLSX.")])
    correspondance = SelectField("Correspondance des colonnes (fournie)", choices=[], validate_choice=False)
    correspondance_fichier = FileField("… ou votre correspondance (YAML)", validators=[
        FileAllowed(["yaml", "yml"], "La correspondance est un fichier YAML.")])


class TensionForm(FlaskForm):
    """The list of métiers en tension of a territory (CSV of ROME codes)."""

    fichier = FileField("Liste des métiers en tension (CSV)", validators=[
        FileRequired("Choisissez un fichier."),
        FileAllowed(["csv", "txt"], "Format accepté : CSV (une colonne code_rome).")])
