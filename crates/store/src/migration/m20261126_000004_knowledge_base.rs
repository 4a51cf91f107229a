//! Knowledge base: articles with version history and votes, per-tenant search synonyms,
//! the zero-result query log and deflection records of the portal.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{index, tenant_fk};
use crate::dialect;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum KbArticles {
    Table,
    Id,
    TenantId,
    Title,
    Body,
    BodyHtml,
    Category,
    Tags,
    Visibility,
    Status,
    Version,
    AuthorId,
    HelpfulCount,
    NotHelpfulCount,
    ViewCount,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum KbArticleVersions {
    Table,
    Id,
    TenantId,
    ArticleId,
    Version,
    Title,
    Body,
    Category,
    Tags,
    Visibility,
    Status,
    AuthorId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum KbVotes {
    Table,
    Id,
    TenantId,
    ArticleId,
    UserId,
    Helpful,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SearchSynonyms {
    Table,
    Id,
    TenantId,
    Terms,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SearchZeroResults {
    Table,
    Id,
    TenantId,
    Query,
    Count,
    LastAt,
}

#[derive(DeriveIden)]
enum KbDeflections {
    Table,
    Id,
    TenantId,
    UserId,
    Query,
    Suggested,
    ArticleId,
    TicketId,
    Outcome,
    CreatedAt,
    UpdatedAt,
}

fn article_fk<T: IntoIden>(name: &str, table: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(table)
        .from_col(Alias::new("article_id"))
        .to(KbArticles::Table, KbArticles::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(KbArticles::Table)
                    .col(uuid(KbArticles::Id).primary_key())
                    .col(uuid(KbArticles::TenantId))
                    .col(string_len(KbArticles::Title, 300))
                    .col(text(KbArticles::Body))
                    .col(text(KbArticles::BodyHtml))
                    .col(string_len_null(KbArticles::Category, 100))
                    .col(json(KbArticles::Tags))
                    .col(string_len(KbArticles::Visibility, 10))
                    .col(string_len(KbArticles::Status, 10))
                    .col(big_integer(KbArticles::Version))
                    .col(uuid(KbArticles::AuthorId))
                    .col(big_integer(KbArticles::HelpfulCount).default(0))
                    .col(big_integer(KbArticles::NotHelpfulCount).default(0))
                    .col(big_integer(KbArticles::ViewCount).default(0))
                    .col(timestamp_with_time_zone(KbArticles::CreatedAt))
                    .col(timestamp_with_time_zone(KbArticles::UpdatedAt))
                    .col(timestamp_with_time_zone_null(KbArticles::PublishedAt))
                    .foreign_key(&mut tenant_fk("fk_kb_articles_tenant", KbArticles::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_kb_articles_tenant_status",
                KbArticles::Table,
                &["tenant_id", "status", "updated_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(KbArticleVersions::Table)
                    .col(uuid(KbArticleVersions::Id).primary_key())
                    .col(uuid(KbArticleVersions::TenantId))
                    .col(uuid(KbArticleVersions::ArticleId))
                    .col(big_integer(KbArticleVersions::Version))
                    .col(string_len(KbArticleVersions::Title, 300))
                    .col(text(KbArticleVersions::Body))
                    .col(string_len_null(KbArticleVersions::Category, 100))
                    .col(json(KbArticleVersions::Tags))
                    .col(string_len(KbArticleVersions::Visibility, 10))
                    .col(string_len(KbArticleVersions::Status, 10))
                    .col(uuid(KbArticleVersions::AuthorId))
                    .col(timestamp_with_time_zone(KbArticleVersions::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        "fk_kb_article_versions_tenant",
                        KbArticleVersions::Table,
                    ))
                    .foreign_key(&mut article_fk(
                        "fk_kb_article_versions_article",
                        KbArticleVersions::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_kb_article_versions",
                    KbArticleVersions::Table,
                    &["article_id", "version"],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(KbVotes::Table)
                    .col(uuid(KbVotes::Id).primary_key())
                    .col(uuid(KbVotes::TenantId))
                    .col(uuid(KbVotes::ArticleId))
                    .col(uuid(KbVotes::UserId))
                    .col(boolean(KbVotes::Helpful))
                    .col(timestamp_with_time_zone(KbVotes::CreatedAt))
                    .col(timestamp_with_time_zone(KbVotes::UpdatedAt))
                    .foreign_key(&mut tenant_fk("fk_kb_votes_tenant", KbVotes::Table))
                    .foreign_key(&mut article_fk("fk_kb_votes_article", KbVotes::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index("ux_kb_votes", KbVotes::Table, &["article_id", "user_id"])
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SearchSynonyms::Table)
                    .col(uuid(SearchSynonyms::Id).primary_key())
                    .col(uuid(SearchSynonyms::TenantId))
                    .col(json(SearchSynonyms::Terms))
                    .col(timestamp_with_time_zone(SearchSynonyms::CreatedAt))
                    .col(timestamp_with_time_zone(SearchSynonyms::UpdatedAt))
                    .foreign_key(&mut tenant_fk(
                        "fk_search_synonyms_tenant",
                        SearchSynonyms::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_search_synonyms_tenant",
                SearchSynonyms::Table,
                &["tenant_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SearchZeroResults::Table)
                    .col(uuid(SearchZeroResults::Id).primary_key())
                    .col(uuid(SearchZeroResults::TenantId))
                    .col(string_len(SearchZeroResults::Query, 200))
                    .col(big_integer(SearchZeroResults::Count))
                    .col(timestamp_with_time_zone(SearchZeroResults::LastAt))
                    .foreign_key(&mut tenant_fk(
                        "fk_search_zero_results_tenant",
                        SearchZeroResults::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_search_zero_results",
                    SearchZeroResults::Table,
                    &["tenant_id", "query"],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(KbDeflections::Table)
                    .col(uuid(KbDeflections::Id).primary_key())
                    .col(uuid(KbDeflections::TenantId))
                    .col(uuid(KbDeflections::UserId))
                    .col(string_len(KbDeflections::Query, 300))
                    .col(json(KbDeflections::Suggested))
                    .col(uuid_null(KbDeflections::ArticleId))
                    .col(uuid_null(KbDeflections::TicketId))
                    .col(string_len(KbDeflections::Outcome, 12))
                    .col(timestamp_with_time_zone(KbDeflections::CreatedAt))
                    .col(timestamp_with_time_zone(KbDeflections::UpdatedAt))
                    .foreign_key(&mut tenant_fk(
                        "fk_kb_deflections_tenant",
                        KbDeflections::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_kb_deflections_tenant",
                KbDeflections::Table,
                &["tenant_id", "created_at"],
            ))
            .await?;

        let db = manager.get_connection();
        for table in [
            "kb_articles",
            "kb_article_versions",
            "kb_votes",
            "search_synonyms",
            "search_zero_results",
            "kb_deflections",
        ] {
            dialect::enable_tenant_rls(db, table).await?;
        }
        // Versions are history: never rewritten.
        dialect::make_append_only(db, "kb_article_versions").await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "migrations are forward-only; restore a backup to go back".into(),
        ))
    }
}
