"""Accounts: register, login, logout, password reset and change, profile."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from lms.auth import current_account, deletion, services
from lms.auth.forms import (
    ButtonForm,
    ChangePasswordForm,
    ConfirmRegistrationForm,
    DeleteAccountForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
)
from lms.extensions import db
from lms.mail import send_mail
from lms.models import User
from lms.peers.directory import has_blocked, is_blocked_between, shows_full_profile
from lms.throttle import is_throttled, record_hit, window_minutes
from lms.urls import next_from_request

bp = Blueprint("auth", __name__)

INVALID_LOGIN = "That e-mail and password do not match an account. Check both, or reset your password."
# Worded the same whether or not the e-mail has an account.
THROTTLED_LOGIN = "Too many failed attempts for this account. Please wait {} minutes or reset your password."
THROTTLED_ADDRESS = "Too many failed attempts from your network. Please wait {} minutes and try again."
THROTTLED_SIGN_UPS = "Too many sign-ups from your network. Please wait {} minutes and try again."


def _refuse_throttled_login(email):
    full = services.full_login_counter(email, request.remote_addr)
    if full is not None:
        message = THROTTLED_ADDRESS if full == "LOGIN_IP_FAILURE_LIMIT" else THROTTLED_LOGIN
        abort(429, message.format(window_minutes(full)))


def _start_session(user, remember):
    # A fresh session on login: nothing from before (e.g. a planted session id or CSRF token) carries over.
    session.clear()
    services.start_sign_in(user)
    login_user(user, remember=remember)
    services.record_login(user)


@bp.route("/register", methods=["GET", "POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = RegisterForm()
    if form.validate_on_submit():
        email = services.normalize_email(form.email.data)
        # Every sign-up sends an e-mail: limited per address written in (nobody floods one inbox) and per
        # client address (nobody sends our mail to a list of strangers).
        if is_throttled("REGISTER_IP_LIMIT", request.remote_addr):
            abort(429, THROTTLED_SIGN_UPS.format(window_minutes("REGISTER_IP_LIMIT")))
        if is_throttled("RESET_REQUEST_LIMIT", f"register:{email}"):
            abort(429)
        record_hit("REGISTER_IP_LIMIT", request.remote_addr)
        record_hit("RESET_REQUEST_LIMIT", f"register:{email}")
        # The same answer, and the same work (the password is hashed either way), whether or not the address has
        # an account, so nobody can probe for members. A sign-up for a taken address can never be used.
        token = services.make_registration_token(form.display_name.data, email, form.password.data)
        db.session.commit()
        if services.find_user_by_email(email) is None:
            link = url_for("auth.confirm_registration", token=token, _external=True)
            send_mail(email, "Finish creating your Sparetime account",
                      f"Hello {form.display_name.data.strip()},\n\nOpen this link to finish creating your "
                      f"account:\n\n{link}\n\nThe link works for 7 days. If you did not sign up, ignore this "
                      "e-mail.\n")  # fmt: skip
        else:
            link = url_for("auth.reset_request", _external=True)
            send_mail(email, "You already have a Sparetime account",
                      "Someone (hopefully you) tried to register with this e-mail address, which already has "
                      f"an account. Log in, or reset your password here:\n\n{link}\n")  # fmt: skip
        return render_template("auth/check_email.html", email=email, purpose="register")
    return render_template("auth/register.html", form=form)


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def confirm_registration(token):
    form = ConfirmRegistrationForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            user = services.create_user_from_token(token, form.known_timezone)
        except services.AccountError as error:
            flash(str(error), "error")
            return redirect(url_for("auth.login"))
        db.session.commit()
        _start_session(user, remember=False)
        db.session.commit()
        flash(f"Welcome to Sparetime, {user.display_name}! Your account is ready. Your days and weeks follow the "
              f"time zone {user.timezone}; change it on your profile.", "success")  # fmt: skip
        return redirect(url_for("main.index"))
    # A GET only shows the button: mail scanners that open links must not create accounts.
    return render_template("auth/confirm_registration.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(next_from_request())
    form = LoginForm()
    if form.validate_on_submit():
        email = services.normalize_email(form.email.data)
        _refuse_throttled_login(email)
        user = services.authenticate(email, form.password.data)
        if user is None:
            services.record_login_failure(email, request.remote_addr)
            form.password.errors.append(INVALID_LOGIN)
        elif not user.active:
            form.email.errors.append("This account has been deactivated. Please contact the Sparetime team.")
        else:
            services.clear_login_failures(email, request.remote_addr)
            _start_session(user, remember=form.remember.data)
            db.session.commit()
            flash(f"Welcome back, {user.display_name}.", "success")
            return redirect(next_from_request())
    return render_template("auth/login.html", form=form, next=request.args.get("next", ""))


@bp.post("/logout")
def logout():
    form = ButtonForm()
    if not form.validate_on_submit():
        abort(400)
    services.end_sign_in(session.get("_user_id"))
    db.session.commit()
    # Cleared before logout_user(), which leaves the note that makes Flask-Login delete the remember-me cookie.
    session.clear()
    logout_user()
    flash("You are logged out. See you in your next spare moment.", "info")
    return redirect(url_for("main.index"))


@bp.route("/reset", methods=["GET", "POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        email = services.normalize_email(form.email.data)
        if is_throttled("RESET_REQUEST_LIMIT", email) or is_throttled("RESET_REQUEST_LIMIT", request.remote_addr):
            abort(429)
        record_hit("RESET_REQUEST_LIMIT", email)
        record_hit("RESET_REQUEST_LIMIT", request.remote_addr)
        user = services.find_user_by_email(email)
        if user is not None and user.active:
            link = url_for("auth.reset_password", token=services.make_reset_token(user), _external=True)
            minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
            send_mail(user.email, "Reset your Sparetime password",
                      f"Hello {user.display_name},\n\nOpen this link to choose a new password:\n\n{link}\n\n"
                      f"It works once, for {minutes} minutes. If you did not ask for it, ignore this e-mail.\n")  # fmt: skip
        return render_template("auth/check_email.html", email=email, purpose="reset")
    return render_template("auth/reset_request.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    try:
        user = services.user_for_reset_token(token)
    except services.AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("auth.reset_request"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.change_password(user, form.password.data)
        db.session.commit()
        # The mailbox is proven: the throttle page's "or reset your password" must really let its owner in.
        services.clear_login_failures(user.email, request.remote_addr, account_too=True)
        logout_user()
        flash("Your password is changed and every other session has ended. Please log in.", "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        account = current_account()
        # A guess at the current password is a guess at the login: the same counters, so a borrowed session
        # gains no more tries than the login form gives.
        _refuse_throttled_login(account.email)
        if not account.check_password(form.current_password.data):
            services.record_login_failure(account.email, request.remote_addr)
            form.current_password.errors.append("That is not your current password.")
        else:
            services.clear_login_failures(account.email, request.remote_addr)
            services.change_password(account, form.password.data)
            db.session.commit()
            # Every sign-in has ended with the new session token: this browser gets a new one and stays logged in.
            services.start_sign_in(account)
            db.session.commit()
            login_user(account, remember=bool(request.cookies.get(current_app.config.get(
                "REMEMBER_COOKIE_NAME", "remember_token"))))  # fmt: skip
            flash("Password changed. You were logged out everywhere else.", "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/delete-account", methods=["GET", "POST"])
@login_required
def delete_account():
    form = DeleteAccountForm()
    account = current_account()
    problem = deletion.deletion_problem(account)
    if form.validate_on_submit() and problem is None:
        # As on the password form: a guess at the password is a guess at the login.
        _refuse_throttled_login(account.email)
        if not account.check_password(form.current_password.data):
            services.record_login_failure(account.email, request.remote_addr)
            form.current_password.errors.append("That is not your current password.")
        else:
            deletion.delete_account(account)
            db.session.commit()
            session.clear()  # before logout_user(), so the remember-me cookie is deleted too (see logout)
            logout_user()
            flash("Your account is deleted. Thank you for learning with us.", "info")
            return redirect(url_for("main.index"))
    return render_template("auth/delete_account.html", form=form, problem=problem)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        account = current_account()
        services.set_email_preference(account, form.email_preference.data)
        form.populate_obj(account)
        account.display_name = account.display_name.strip()
        account.skills = ", ".join(s.strip() for s in (form.skills.data or "").split(",") if s.strip())
        db.session.commit()
        flash("Profile saved.", "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form)


@bp.get("/people/<int:user_id>")
@login_required
def public_profile(user_id):
    user = db.get_or_404(User, user_id)
    # Blocking hides two people from each other (the peers' directory); admins still see every profile.
    if not current_user.is_admin and user.id != current_user.id and is_blocked_between(current_user.id, user.id):
        # The blocker still meets the name in old threads: the link says whom they blocked and how to undo it.
        # The blocked person learns nothing (404, as for an account that does not exist).
        if not has_blocked(current_user.id, user.id):
            abort(404)
        return render_template("auth/public_profile.html", person=user, in_full=False, blocked_by_you=True)
    # A deactivated account's name still links from its posts: the page says the account is gone, no more.
    in_full = current_user.is_admin or (user.active and shows_full_profile(current_user, user))
    return render_template("auth/public_profile.html", person=user, in_full=in_full)
