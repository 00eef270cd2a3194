use crate::Engine;

#[derive(Debug, Clone, Default)]
pub struct ListTablesInput {
    pub exclusive_start_table_name: Option<String>,
    /// 1..=100; DynamoDB's default is 100.
    pub limit: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListTablesOutput {
    pub table_names: Vec<String>,
    /// Set when more tables follow: the last name of this page.
    pub last_evaluated_table_name: Option<String>,
}

impl Engine {
    pub fn list_tables(&self, input: ListTablesInput) -> ListTablesOutput {
        let limit = input.limit.unwrap_or(100);
        let (table_names, more) = self
            .catalog
            .names_after(input.exclusive_start_table_name.as_deref(), limit);
        let last_evaluated_table_name = if more { table_names.last().cloned() } else { None };
        ListTablesOutput {
            table_names,
            last_evaluated_table_name,
        }
    }
}
