//! The members page: the federation's regions, endorsed partners and their nodes' state.

use axum::extract::State;
use axum::response::Response;

use super::context::Ctx;
use super::format::{date, date_time, iso_date_time};
use super::html::Html;
use super::layout::{NavSection, page};
use crate::backend::Backend;

/// The members page.
pub(crate) async fn members_page<B: Backend>(State(backend): State<B>, ctx: Ctx) -> Response {
    let tr = &ctx.tr;
    let members = backend.members();
    let status = backend.status();
    // The page still shows the membership when the swarm does not answer in time.
    let peers = backend.peers().await.unwrap_or_default();
    let name_of = |key: &mosaico_protocol::PublicKey| {
        members
            .members
            .iter()
            .find(|m| m.key == *key)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| key.fingerprint())
    };

    let mut h = Html::new();
    let heading = tr.t("members.title");
    h.elem("h1", &[], heading);
    h.elem(
        "p",
        &[("class", "lead")],
        &tr.tf(
            "members.lead",
            &[
                ("federation", &members.federation.name),
                ("version", &members.federation.version.to_string()),
                ("threshold", &members.federation.threshold.to_string()),
            ],
        ),
    );

    h.raw("<section aria-labelledby=\"h-regions\">");
    h.elem("h2", &[("id", "h-regions")], tr.t("members.regions"));
    h.raw("<table><thead><tr>");
    for key in [
        "members.name",
        "field.country",
        "field.nuts",
        "provenance.key",
        "members.node",
    ] {
        h.elem("th", &[("scope", "col")], tr.t(key));
    }
    h.raw("</tr></thead><tbody>");
    for member in &members.members {
        h.raw("<tr>").elem("th", &[("scope", "row")], &member.name);
        h.elem(
            "td",
            &[],
            member.country.as_deref().map_or("—", |c| tr.country(c)),
        );
        h.elem("td", &[], member.nuts.as_deref().unwrap_or("—"));
        h.raw("<td><code>")
            .text(&member.fingerprint)
            .raw("</code></td><td>");
        if member.key == status.public_key {
            h.text(tr.t("node.this"));
        } else {
            let peer = peers
                .iter()
                .find(|p| p.name.as_deref() == Some(member.name.as_str()));
            match peer {
                Some(peer) if peer.connected => {
                    h.text(tr.t("node.connected"));
                    if let Some(rtt) = peer.rtt_ms {
                        h.raw(" (")
                            .text(&tr.tf("members.rtt", &[("ms", &rtt.to_string())]))
                            .raw(")");
                    }
                }
                _ => {
                    h.text(tr.t("node.not_connected"));
                }
            }
            let last_sync = peer
                .and_then(|p| status.sync.iter().find(|s| s.peer_id == p.peer_id))
                .and_then(|s| s.last_sync_at);
            if let Some(at) = last_sync {
                h.raw("<br>")
                    .text(tr.t("members.last_sync"))
                    .raw(" ")
                    .open("time", &[("datetime", &iso_date_time(at))])
                    .text(&date_time(tr, at))
                    .raw("</time>");
            }
        }
        h.raw("</td></tr>");
    }
    h.raw("</tbody></table></section>");

    h.raw("<section aria-labelledby=\"h-partners\">");
    h.elem("h2", &[("id", "h-partners")], tr.t("members.partners"));
    if members.endorsements.is_empty() {
        h.elem("p", &[], tr.t("members.no_partners"));
    } else {
        h.raw("<table><thead><tr>");
        for key in [
            "members.name",
            "members.endorsed_by",
            "members.kinds",
            "members.valid",
            "members.state",
        ] {
            h.elem("th", &[("scope", "col")], tr.t(key));
        }
        h.raw("</tr></thead><tbody>");
        for e in &members.endorsements {
            h.raw("<tr>").elem("th", &[("scope", "row")], &e.name);
            h.elem("td", &[], &name_of(&e.by));
            let kinds: Vec<String> = e.kinds.iter().map(|k| tr.term("kind", k)).collect();
            h.elem("td", &[], &kinds.join(", "));
            h.elem(
                "td",
                &[],
                &format!("{} – {}", date(tr, e.from), date(tr, e.until)),
            );
            h.elem(
                "td",
                &[],
                if e.revoked {
                    tr.t("members.revoked")
                } else {
                    tr.t("members.active")
                },
            );
            h.raw("</tr>");
        }
        h.raw("</tbody></table>");
    }
    h.raw("</section>");

    h.raw("<section aria-labelledby=\"h-peers\">");
    h.elem("h2", &[("id", "h-peers")], tr.t("members.peers"));
    if peers.is_empty() {
        h.elem("p", &[], tr.t("members.no_peers"));
    } else {
        h.raw("<ul>");
        for peer in &peers {
            h.raw("<li>");
            h.elem(
                "strong",
                &[],
                peer.name.as_deref().unwrap_or(tr.t("members.unnamed")),
            );
            h.raw(" — ").text(if peer.connected {
                tr.t("node.connected")
            } else {
                tr.t("node.not_connected")
            });
            h.raw(" <code class=\"peer\">")
                .text(&peer.peer_id)
                .raw("</code></li>");
        }
        h.raw("</ul>");
    }
    h.raw("</section>");
    page(&ctx, NavSection::Members, heading, h)
}
