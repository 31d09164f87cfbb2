import { inPlaceComponentCheck } from '../in-place-component-texts.js';

export const restoredMongodb = inPlaceComponentCheck({
  component: 'mongodb',
  members: ['mongodb/dump.archive.gz'],
  title: 'The MongoDB collections are back as the archive recorded them',
  description: 'Runs `mongorestore --drop --archive --gzip` against the target with the archive’s mongodb/dump.archive.gz.',
  risk: 'Collections left out of a restore lose the documents the application keeps in MongoDB.',
  remediation:
    'Read the failure, fix it (mongorestore installed, the user’s roles), and run `restorecheck restore --config <config> --environment <environment>` again.',
  fr: {
    title: 'Les collections MongoDB sont revenues telles que l’archive les a enregistrées',
    description: 'Lance `mongorestore --drop --archive --gzip` vers la cible avec le mongodb/dump.archive.gz de l’archive.',
    risk: 'Des collections oubliées par une restauration perdent les documents que l’application garde dans MongoDB.',
    remediation:
      'Lire l’échec, le corriger (mongorestore installé, les rôles de l’utilisateur), puis relancer `restorecheck restore --config <config> --environment <environment>`.',
  },
});
