import type { Knex } from 'knex';

export const name = '010_deploy_templates';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('deploy_templates', (t) => {
    t.increments('id').primary();
    t.string('uuid', 36).notNullable().unique();
    // A trait name, which a deployment's instance traits name it by: two templates may never share one.
    t.string('name', 255).notNullable().unique();
    t.text('extra').notNullable();
    t.string('created_at', 40).notNullable();
    t.string('updated_at', 40).nullable();
  });

  // One row per step, in the template's order (by id), as Ironic keeps them.
  await knex.schema.createTable('deploy_template_steps', (t) => {
    t.increments('id').primary();
    t.integer('deploy_template_id').notNullable().references('id').inTable('deploy_templates').onDelete('CASCADE');
    t.string('interface', 255).notNullable();
    t.string('step', 255).notNullable();
    t.text('args').notNullable();
    t.integer('priority').notNullable();
    // A template names each interface's step at most once.
    t.unique(['deploy_template_id', 'interface', 'step']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('deploy_template_steps');
  await knex.schema.dropTable('deploy_templates');
}
