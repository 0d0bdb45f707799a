//! How `#[oauth]` finds the optional hooks of its struct: a probe that autoref-specializes on
//! whether [`CheckInvalid`] and [`Logout`] are implemented. Reached by the expansions only through
//! `__private_v0_1`; not part of the public API.

use std::marker::PhantomData;

use axum::response::Response;

use crate::hooks::{BoxFuture, CheckInvalid, GuardContext, Logout, LogoutContext};

/// A `check_invalid` adapter, as a plain function pointer.
pub type CheckInvalidFn<A> =
    for<'a> fn(&'a A, &'a GuardContext<'a>) -> BoxFuture<'a, Option<Result<Response, ()>>>;
/// A `logout` adapter, as a plain function pointer.
pub type LogoutFn<A> = for<'a> fn(&'a A, &'a LogoutContext) -> BoxFuture<'a, Response>;

/// The optional hooks of an auth struct, found by [`Probe`] where `#[oauth]` expands.
pub struct Hooks<A> {
    /// `#[check_invalid]`, if the user wrote one.
    pub check_invalid: Option<CheckInvalidFn<A>>,
    /// `#[logout]`, if the user wrote one.
    pub logout: Option<LogoutFn<A>>,
}

impl<A> Clone for Hooks<A> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<A> Copy for Hooks<A> {}

/// Finds the optional hooks of `A` without specialization: `(&&Probe::<A>::NEW).check_invalid_hook()`
/// picks the impl on `&Probe<A>` when `A: CheckInvalid`, and the fallback on `Probe<A>` otherwise.
/// This only works where `A` is a concrete type, which it is in the `#[oauth]` expansion.
pub struct Probe<A>(PhantomData<fn() -> A>);

impl<A> Probe<A> {
    /// The probe value.
    pub const NEW: Self = Self(PhantomData);
}

/// Chosen when the auth struct has a `#[check_invalid]` hook.
pub trait HasCheckInvalid<A> {
    /// The hook.
    fn check_invalid_hook(&self) -> Option<CheckInvalidFn<A>>;
}
impl<A: CheckInvalid> HasCheckInvalid<A> for &Probe<A> {
    fn check_invalid_hook(&self) -> Option<CheckInvalidFn<A>> {
        Some(<A as CheckInvalid>::check_invalid)
    }
}
/// Chosen when it has none.
pub trait NoCheckInvalid<A> {
    /// No hook.
    fn check_invalid_hook(&self) -> Option<CheckInvalidFn<A>> {
        None
    }
}
impl<A> NoCheckInvalid<A> for Probe<A> {}

/// Chosen when the auth struct has a `#[logout]` hook.
pub trait HasLogout<A> {
    /// The hook.
    fn logout_hook(&self) -> Option<LogoutFn<A>>;
}
impl<A: Logout> HasLogout<A> for &Probe<A> {
    fn logout_hook(&self) -> Option<LogoutFn<A>> {
        Some(<A as Logout>::logout)
    }
}
/// Chosen when it has none.
pub trait NoLogout<A> {
    /// No hook.
    fn logout_hook(&self) -> Option<LogoutFn<A>> {
        None
    }
}
impl<A> NoLogout<A> for Probe<A> {}
