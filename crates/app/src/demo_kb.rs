//! Knowledge-base articles and a synonym group for the demo tenant.

use crate::kb::NewArticle;
use crate::{Actor, App, Result};

/// (title, category, tags, visibility, Markdown body)
type DemoArticle = (
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
);

const ARTICLES: [DemoArticle; 10] = [
    (
        "Connect to the VPN from home",
        "Network",
        &["vpn", "remote work"],
        "public",
        "You need the VPN to reach file shares and internal sites from outside the office.\n\n\
1. Install **GlobalConnect** from the Company Portal.\n\
2. Open it and enter the gateway `vpn.example.com`.\n\
3. Sign in with your work account and approve the MFA prompt.\n\n\
If the connection drops every few minutes, switch from Wi-Fi to a cable or restart your \
home router. Still stuck? Report an issue and mention the client version (Help → About).",
    ),
    (
        "Reset your password",
        "Accounts",
        &["password", "account", "locked"],
        "public",
        "Forgot your password or locked out after too many attempts?\n\n\
1. Go to the self-service page at `https://password.example.com`.\n\
2. Enter your work email and confirm with the code sent to your phone.\n\
3. Choose a new password: at least 14 characters, not used before.\n\n\
Your account unlocks by itself 15 minutes after the last failed attempt.",
    ),
    (
        "Set up multi-factor authentication (MFA)",
        "Accounts",
        &["mfa", "2fa", "authenticator"],
        "public",
        "Multi-factor authentication protects your account with a second step after the password.\n\n\
1. Install the authenticator app on your phone.\n\
2. Sign in at `https://myaccount.example.com/security` and choose **Add method → App**.\n\
3. Scan the QR code and enter the six-digit code.\n\n\
New phone? Add the app on the new phone **before** wiping the old one.",
    ),
    (
        "Add a network printer",
        "Hardware",
        &["printer", "printing"],
        "public",
        "Printers are named after their floor and room, e.g. `PRN-3-120`.\n\n\
- **Windows:** Settings → Bluetooth & devices → Printers → Add device, pick the printer.\n\
- **macOS:** System Settings → Printers & Scanners → Add Printer.\n\n\
Jobs stuck in the queue? Remove the printer, add it again, and try a test page.",
    ),
    (
        "Connect to the office Wi-Fi",
        "Network",
        &["wifi", "wireless"],
        "public",
        "Staff laptops join **CORP** automatically. Phones and personal devices use **CORP-BYOD**: \
sign in with your work account. Guests use **GUEST** with a voucher from reception, valid for \
one day.\n\nIf the Wi-Fi keeps dropping, forget the network and join it again.",
    ),
    (
        "Request a new laptop or monitor",
        "Hardware",
        &["laptop", "monitor", "hardware"],
        "public",
        "Use **Ask for something** in the portal and describe what you need and why. Standard \
laptops ship within five working days after your manager approves. Please return the old \
device to the service desk within two weeks.",
    ),
    (
        "Share a mailbox or calendar in Outlook",
        "Software",
        &["outlook", "email", "calendar"],
        "public",
        "To give a colleague access to a shared mailbox, its owner asks for it in the portal. \
To share your calendar: in Outlook choose Calendar → Share → add the person and the level \
(*can view* or *can edit*).",
    ),
    (
        "Recover deleted files from OneDrive",
        "Software",
        &["onedrive", "files", "restore"],
        "public",
        "Deleted files stay in the OneDrive recycle bin for 93 days. Open OneDrive in the \
browser, choose **Recycle bin**, select the files and **Restore**. For a whole folder at an \
earlier point in time use **Settings → Restore your OneDrive**.",
    ),
    (
        "Install software from the Company Portal",
        "Software",
        &["software", "install"],
        "public",
        "Approved software installs without admin rights from the **Company Portal** app. \
Not listed? Ask for it in the portal; licensing takes up to three working days.",
    ),
    (
        "VPN gateway MTU workaround (agents)",
        "Network",
        &["vpn", "mtu", "gateway"],
        "internal",
        "After the gateway update, some home routers fragment VPN packets and the tunnel drops \
every few minutes. Workaround until the fix: in the client's advanced settings set **MTU** \
to `1380`, reconnect, and note the ticket number in the problem record.",
    ),
];

impl App {
    /// Ten useful articles (one internal) and the synonym group vpn ↔ virtual private network.
    pub(crate) async fn seed_demo_kb(&self, admin: &Actor, agent: &Actor) -> Result<()> {
        for (title, category, tags, visibility, body) in ARTICLES {
            self.create_article(
                agent,
                NewArticle {
                    title: title.into(),
                    body: body.into(),
                    category: Some(category.into()),
                    tags: tags.iter().map(|t| t.to_string()).collect(),
                    visibility: Some(visibility.into()),
                    status: Some("published".into()),
                },
            )
            .await?;
        }
        self.set_synonyms(
            admin,
            vec![
                vec!["vpn".into(), "virtual private network".into()],
                vec!["wifi".into(), "wi-fi".into(), "wireless".into()],
                vec![
                    "mfa".into(),
                    "2fa".into(),
                    "multi-factor authentication".into(),
                ],
            ],
        )
        .await?;
        Ok(())
    }
}
