//! `[[route]]` stories: prefixes, static-file roots and their options,
//! app names, and the response fields a route adds.

use super::{LISTEN, TempDir, error, parse};
use crate::config::{ErrorKind, FilesRoute, FollowSymlinks, Route, RouteTarget, StatusPage};

/// A config with one route: `body` is the rest of the `[[route]]` table.
fn with_route(body: &str) -> String {
    format!("[[route]]\n{body}{LISTEN}")
}

fn only_route(text: &str) -> Route {
    let config = parse(text).unwrap_or_else(|e| panic!("{e}"));
    let [route] = &config.routes[..] else {
        panic!("one route, got {:?}", config.routes);
    };
    route.clone()
}

fn files(route: &Route) -> &FilesRoute {
    match &route.target {
        RouteTarget::Files(f) => f,
        other => panic!("a files route, got {other:?}"),
    }
}

#[test]
fn a_root_route_takes_the_canonical_directory_and_safe_defaults() {
    let dir = TempDir::new();
    std::fs::create_dir_all(dir.0.join("www")).unwrap();
    let route = only_route(&with_route(&format!(
        "path = \"/\"\nroot = \"{}/./www\"\n",
        dir.0.display()
    )));
    assert_eq!(route.path, "/");
    assert!(route.headers.is_empty());
    let f = files(&route);
    assert_eq!(f.root, std::fs::canonicalize(dir.0.join("www")).unwrap());
    assert!(!f.listing, "no listing unless asked");
    assert!(!f.dotfiles, "dotfiles hidden unless asked");
    assert_eq!(f.follow_symlinks, FollowSymlinks::Inside);
    assert!(!f.precompressed);
}

#[test]
fn every_files_option_round_trips() {
    let dir = TempDir::new();
    let route = only_route(&with_route(&format!(
        "path = \"/static\"\nroot = \"{}\"\nlisting = true\ndotfiles = true\n\
         follow_symlinks = \"any\"\nprecompressed = true\n",
        dir.0.display()
    )));
    let f = files(&route);
    assert!(f.listing && f.dotfiles && f.precompressed);
    assert_eq!(f.follow_symlinks, FollowSymlinks::Any);
    let route = only_route(&with_route(&format!(
        "path = \"/\"\nroot = \"{}\"\nfollow_symlinks = \"never\"\n",
        dir.0.display()
    )));
    assert_eq!(files(&route).follow_symlinks, FollowSymlinks::Never);
}

#[test]
fn an_unknown_follow_symlinks_word_lists_the_words() {
    let dir = TempDir::new();
    let err = error(&with_route(&format!(
        "path = \"/\"\nroot = \"{}\"\nfollow_symlinks = \"always\"\n",
        dir.0.display()
    )));
    assert_eq!(err.key(), "route[0].follow_symlinks");
    assert_eq!(
        err.message(),
        "must be \"never\", \"inside\" or \"any\", got `always`"
    );
    assert_eq!((err.line(), err.column()), (4, 19));
}

#[test]
fn an_app_route_records_the_name() {
    let route = only_route(&with_route("path = \"/api\"\napp = \"hello_world-2\"\n"));
    assert_eq!(route.target, RouteTarget::App("hello_world-2".into()));
}

#[test]
fn app_names_must_be_identifiers() {
    for bad in ["", "2fast", "-x", "a b", "a/b", "é"] {
        let err = error(&with_route(&format!("path = \"/\"\napp = \"{bad}\"\n")));
        assert_eq!(err.key(), "route[0].app", "{bad:?}");
        assert!(err.message().starts_with("must be a name"), "{err}");
    }
}

#[test]
fn a_route_with_both_root_and_app_is_refused_at_app() {
    let err = error(&with_route("path = \"/\"\nroot = \"/\"\napp = \"x\"\n"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:4:7: `route[0].app`: a route has one of `root` (static files), \
         `app` and `status`; this one already has `root`"
    );
}

#[test]
fn a_route_with_app_and_status_is_refused_at_status() {
    let err = error(&with_route(
        "path = \"/\"\napp = \"x\"\nstatus = \"health\"\n",
    ));
    assert_eq!(err.key(), "route[0].status");
    assert_eq!((err.line(), err.column()), (4, 10));
    assert!(err.message().ends_with("already has `app`"), "{err}");
}

#[test]
fn a_route_with_neither_root_nor_app_is_refused_at_the_route() {
    let err = error(&with_route("path = \"/\"\n"));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:2:8: `route[0]`: needs `root = \"dir\"` (static files), \
         `app = \"name\"` or `status = \"metrics\"` (or \"health\", \"page\")"
    );
}

#[test]
fn status_routes_name_their_page_and_may_add_headers() {
    for (word, page) in [
        ("metrics", StatusPage::Metrics),
        ("health", StatusPage::Health),
        ("page", StatusPage::Page),
    ] {
        let route = only_route(&with_route(&format!(
            "path = \"/-/{word}\"\nstatus = \"{word}\"\nheaders = {{ \"cache-control\" = \"no-store\" }}\n"
        )));
        assert_eq!(route.target, RouteTarget::Status(page));
        assert_eq!(
            route.headers,
            [("cache-control".to_string(), "no-store".to_string())]
        );
    }
}

#[test]
fn an_unknown_status_word_lists_the_words() {
    let err = error(&with_route("path = \"/s\"\nstatus = \"stats\"\n"));
    assert_eq!(err.key(), "route[0].status");
    assert_eq!(
        err.message(),
        "must be \"metrics\", \"health\" or \"page\", got `stats`"
    );
    assert_eq!((err.line(), err.column()), (3, 10));
}

#[test]
fn static_file_options_on_a_status_route_are_refused_by_name() {
    let err = error(&with_route(
        "path = \"/s\"\nstatus = \"page\"\nlisting = true\n",
    ));
    assert_eq!(err.key(), "route[0].listing");
    assert_eq!(
        err.message(),
        "only applies to static-file routes (with `root`), not to `status` routes"
    );
}

#[test]
fn static_file_options_on_an_app_route_are_refused_by_name() {
    for option in [
        "listing = true",
        "dotfiles = false",
        "precompressed = true",
        "follow_symlinks = \"any\"",
    ] {
        let err = error(&with_route(&format!(
            "path = \"/\"\napp = \"x\"\n{option}\n"
        )));
        let name = option.split(' ').next().unwrap();
        assert_eq!(err.key(), format!("route[0].{name}"));
        assert_eq!(
            err.message(),
            "only applies to static-file routes (with `root`), not to `app` routes"
        );
    }
}

#[test]
fn routes_need_a_slash_path_and_an_existing_directory() {
    let dir = TempDir::new();
    let err = error(&with_route(&format!(
        "path = \"x\"\nroot = \"{}\"\n",
        dir.0.display()
    )));
    assert_eq!(err.key(), "route[0].path");
    let err = error(&with_route(
        "path = \"/\"\nroot = \"/nonexistent-bicorn\"\n",
    ));
    assert_eq!(err.key(), "route[0].root");
    let file = dir.write("f.txt", "x");
    let err = error(&with_route(&format!(
        "path = \"/\"\nroot = \"{}\"\n",
        file.display()
    )));
    assert_eq!(err.key(), "route[0].root");
    assert!(err.message().ends_with("is not a directory"), "{err}");
}

#[test]
fn route_paths_with_query_fragment_or_spaces_are_refused() {
    for bad in ["/a?b", "/a#b", "/a b"] {
        let err = error(&with_route(&format!("path = \"{bad}\"\napp = \"x\"\n")));
        assert_eq!(err.key(), "route[0].path", "{bad}");
    }
}

#[test]
fn the_same_prefix_with_or_without_trailing_slash_is_routed_once() {
    let err = error(&format!(
        "[[route]]\npath = \"/s\"\napp = \"a\"\n[[route]]\npath = \"/s/\"\napp = \"b\"\n{LISTEN}"
    ));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:5:8: `route[1].path`: `/s/` is already routed"
    );
}

#[test]
fn headers_are_lowercased_and_kept_in_file_order() {
    let route = only_route(&with_route(
        "path = \"/\"\napp = \"x\"\n\
         headers = { \"Cache-Control\" = \"max-age=60\", \"x-b\" = \"2\", \"X-A\" = \"1\" }\n",
    ));
    assert_eq!(
        route.headers,
        vec![
            ("cache-control".to_string(), "max-age=60".to_string()),
            ("x-b".to_string(), "2".to_string()),
            ("x-a".to_string(), "1".to_string()),
        ]
    );
}

#[test]
fn headers_as_a_subtable_are_accepted_too() {
    let route = only_route(&format!(
        "[[route]]\npath = \"/\"\napp = \"x\"\n[route.headers]\nx-frame-options = \"DENY\"\n{LISTEN}"
    ));
    assert_eq!(
        route.headers,
        vec![("x-frame-options".to_string(), "DENY".to_string())]
    );
}

#[test]
fn framing_and_hop_by_hop_fields_are_refused() {
    for name in [
        "content-length",
        "Transfer-Encoding",
        "connection",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "content-range",
        "date",
    ] {
        let err = error(&with_route(&format!(
            "path = \"/\"\napp = \"x\"\nheaders = {{ \"{name}\" = \"1\" }}\n"
        )));
        assert_eq!(err.key(), format!("route[0].headers.{name}"));
        assert!(
            err.message().contains("set by the server itself"),
            "{name}: {err}"
        );
    }
}

#[test]
fn a_field_name_that_is_not_a_token_is_refused_at_the_name() {
    let err = error(&with_route(
        "path = \"/\"\napp = \"x\"\nheaders = { \"x y\" = \"1\" }\n",
    ));
    assert_eq!(err.key(), "route[0].headers.x y");
    assert_eq!((err.line(), err.column()), (4, 13));
    assert!(err.message().starts_with("a field name must be a token"));
    let err = error(&with_route(
        "path = \"/\"\napp = \"x\"\nheaders = { \"\" = \"1\" }\n",
    ));
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
}

#[test]
fn field_values_with_controls_or_outer_whitespace_are_refused_at_the_value() {
    for bad in ["a\\nb", "a\\rb", "a\\u0000b", " a", "a\\t", "café"] {
        let err = error(&with_route(&format!(
            "path = \"/\"\napp = \"x\"\nheaders = {{ x-a = \"{bad}\" }}\n"
        )));
        assert_eq!(err.key(), "route[0].headers.x-a", "{bad}");
        assert_eq!((err.line(), err.column()), (4, 19), "{bad}");
    }
    let route = only_route(&with_route(
        "path = \"/\"\napp = \"x\"\nheaders = { x-a = \"a\\tb c\" }\n",
    ));
    assert_eq!(route.headers[0].1, "a\tb c");
}

#[test]
fn the_same_field_twice_in_different_case_is_refused() {
    let err = error(&with_route(
        "path = \"/\"\napp = \"x\"\nheaders = { x-a = \"1\", X-A = \"2\" }\n",
    ));
    assert_eq!(err.key(), "route[0].headers.X-A");
    assert!(err.message().contains("already set"), "{err}");
}

#[test]
fn a_field_value_that_is_not_a_string_is_a_wrong_type() {
    let err = error(&with_route(
        "path = \"/\"\napp = \"x\"\nheaders = { x-a = 1 }\n",
    ));
    assert_eq!(err.kind(), ErrorKind::WrongType);
    assert_eq!(err.key(), "route[0].headers.x-a");
}

#[test]
fn an_unknown_route_key_lists_the_route_keys() {
    let err = error(&with_route(
        "path = \"/\"\napp = \"x\"\nindex = \"a.html\"\n",
    ));
    assert_eq!(
        err.to_string(),
        "conf/bicorn.toml:4:1: `route[0].index`: unknown key (expected one of path, root, \
         app, status, headers, listing, dotfiles, follow_symlinks, precompressed)"
    );
}
