//! The live tabs (issue #14) end to end: the real binary in web mode on a
//! copy of the AFI IR whose `.mizan/studio.toml` names a live `afi-server`
//! and its real Redis (a cache secret, an MWT secret — given to the studio
//! as `MIZAN_CACHE_SECRET` / `MIZAN_MWT_SECRET`, as the issue says),
//! driven in headless Chromium by `tests/node/studio/live.e2e.test.mjs`:
//! MISS then HIT with the CLI's key, Explain on a rev bump / "05" / a
//! missing user, tokens, a replay of `rename` whose prediction, body and
//! header agree and whose purge shows, the IR edited to disagree, backend
//! and Redis down. Then the studio restarts and the history is still
//! there. Screenshots: `target/test-output/studio-{cache,replay,tokens}*.png`.

mod common;

use common::*;
use mizan_testkit::{AfiServer, Redis};

const CACHE_SECRET: &str = "live-e2e-cache-secret-0123456789abcd";
const MWT_SECRET: &str = "live-e2e-mwt-secret-0123456789abcdefgh";

#[test]
fn live_tabs_against_afi_server_and_redis() {
    let redis = Redis::start();
    let server = AfiServer::start(&["--redis", &redis.url(), "--cache-secret", CACHE_SECRET, "--mwt-secret", MWT_SECRET]);
    let project = tempfile::tempdir().expect("tempdir");
    std::fs::copy(root().join("fixtures/afi/afi.kdl"), project.path().join("afi.kdl")).expect("copy afi.kdl");
    std::fs::write(
        project.path().join("mizan.toml"),
        "output = \"generated\"\ntargets = [\"ts\"]\n\n[source]\nkdl = \"afi.kdl\"\n",
    )
    .expect("write mizan.toml");
    std::fs::create_dir_all(project.path().join(".mizan")).expect("mkdir .mizan");
    std::fs::write(
        project.path().join(".mizan/studio.toml"),
        format!(
            "[[environment]]\nname = \"local\"\nbase_url = \"{}\"\nredis_url = \"{}\"\n",
            server.base(),
            redis.url()
        ),
    )
    .expect("write studio.toml");
    let settings = tempfile::tempdir().expect("tempdir");
    let secrets = [("MIZAN_CACHE_SECRET", CACHE_SECRET), ("MIZAN_MWT_SECRET", MWT_SECRET)];
    let dead = mizan_testkit::free_port().to_string();
    let base = server.base();
    let redis_url = redis.url();
    let env = |phase: &'static str| {
        vec![
            ("AFI_BASE", base.as_str()),
            ("AFI_REDIS", redis_url.as_str()),
            ("MIZAN_CACHE_SECRET", CACHE_SECRET),
            ("MIZAN_MWT_SECRET", MWT_SECRET),
            ("DEAD_PORT", dead.as_str()),
            ("PHASE", phase),
        ]
    };
    {
        let studio = WebStudio::start_with(project.path(), &settings.path().join("settings.json"), &secrets);
        run_playwright_with("live.e2e.test.mjs", &studio, project.path(), &env("first"));
    }
    // A new studio process on the same project.
    let studio = WebStudio::start_with(project.path(), &settings.path().join("settings.json"), &secrets);
    run_playwright_with("live-restart.e2e.test.mjs", &studio, project.path(), &env("after-restart"));
}
